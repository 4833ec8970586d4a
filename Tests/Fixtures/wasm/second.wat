;; A strategy that seats everyone in sub-room 2 and takes no settings: `configure` rejects any
;; settings but `{}`, saying why through `echochat_message`.
(module
  (memory (export "memory") 4 16)
  (data (i32.const 64) "this strategy takes no settings")
  (func (export "echochat_abi_version") (result i32) (i32.const 1))
  ;; A bump allocator whose state lives in linear memory (address 0).
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
  (func (export "echochat_decide") (param i32 i32) (result i32) (i32.const 2))
  (func (export "echochat_configure") (param $ptr i32) (param $len i32) (result i32)
    (if (result i32) (i32.le_u (local.get $len) (i32.const 2)) (then (i32.const 0)) (else (i32.const 1))))
  (func (export "echochat_message") (result i64)
    (i64.or (i64.shl (i64.const 64) (i64.const 32)) (i64.const 31)))
)
