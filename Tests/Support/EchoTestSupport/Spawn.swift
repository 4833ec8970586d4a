import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Starts `argv` (`argv[0]` a path) with `actions` applied and `environment` (`KEY=value`
/// entries; `nil` for this process's own), and returns its pid without waiting for it.
///
/// The child starts with no blocked signals and default handlers, whatever the test runner's
/// thread had: a daemon inheriting a blocked SIGTERM could never be stopped. It inherits no
/// descriptor beyond the three standard ones: a server socket of an in-process test server held
/// open by a child would keep a connection alive that the server closed.
public func spawnChild(_ argv: [String], environment: [String]? = nil, actions: inout posix_spawn_file_actions_t) throws -> pid_t {
    closeInheritedDescriptors(&actions)
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var noSignals = sigset_t()
    sigemptyset(&noSignals)
    var allSignals = sigset_t()
    sigfillset(&allSignals)
    posix_spawnattr_setsigmask(&attributes, &noSignals)
    posix_spawnattr_setsigdefault(&attributes, &allSignals)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    let cArguments = argv.map { strdup($0) } + [nil]
    let cEnvironment = environment.map { $0.map { strdup($0) } + [nil] }
    defer {
        cArguments.forEach { free($0) }
        cEnvironment?.forEach { free($0) }
    }
    var pid: pid_t = 0
    let spawned =
        if let cEnvironment {
            posix_spawn(&pid, argv[0], &actions, &attributes, cArguments, cEnvironment)
        } else {
            posix_spawn(&pid, argv[0], &actions, &attributes, cArguments, environ)
        }
    guard spawned == 0 else { throw TestServiceError("cannot run \(argv[0]): \(String(cString: strerror(spawned)))") }
    return pid
}

/// The exit status `waitpid` reported: the child's exit code, or 128 + the signal that killed it.
public func exitCode(fromWaitStatus status: Int32) -> Int32 {
    let signal = status & 0x7f
    return signal == 0 ? (status >> 8) & 0xff : 128 + signal
}

/// `posix_spawn_file_actions_addclosefrom_np(actions, 3)` (glibc 2.34 and later), looked up at
/// run time since Swift's Glibc module does not declare it.
private func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
    typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return }
    _ = unsafeBitCast(symbol, to: CloseFrom.self)(&actions, 3)
}
