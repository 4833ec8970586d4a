;; The stateful module's twin with its counter in linear memory: since the host restores memory
;; before each decision, every decision answers 1.
(module
  (memory (export "memory") 1 16)
  (func (export "echochat_abi_version") (result i32) (i32.const 1))
  ;; A bump allocator whose state lives in linear memory (address 0), as the ABI asks:
  ;; the host restores memory, not globals, before each decision.
  (func (export "echochat_alloc") (param $len i32) (result i32)
    (local $start i32) (local $end i32)
    (local.set $start (i32.load (i32.const 0)))
    (if (i32.eqz (local.get $start)) (then (local.set $start (i32.const 1024))))
    (local.set $end (i32.add (local.get $start) (local.get $len)))
    (if (i32.lt_u (local.get $end) (local.get $start)) (then (return (i32.const 0))))
    (if (i32.gt_u (local.get $end) (i32.mul (memory.size) (i32.const 65536)))
      (then
        (if (i32.eq
              (memory.grow (i32.shr_u (i32.add (i32.sub (local.get $end) (i32.mul (memory.size) (i32.const 65536))) (i32.const 65535)) (i32.const 16)))
              (i32.const -1))
          (then (return (i32.const 0))))))
    (i32.store (i32.const 0) (i32.and (i32.add (local.get $end) (i32.const 7)) (i32.const -8)))
    (local.get $start))
  ;; The counter at address 8, in memory: what the host puts back before every decision.
  (func (export "echochat_decide") (param i32 i32) (result i32)
    (i32.store (i32.const 8) (i32.add (i32.load (i32.const 8)) (i32.const 1)))
    (i32.load (i32.const 8)))
  (func (export "echochat_configure") (param i32 i32) (result i32) (i32.const 0))
  (func (export "echochat_max_participants") (result i32) (i32.const 0))
  (func (export "echochat_message") (result i64) (i64.const 0))
)
