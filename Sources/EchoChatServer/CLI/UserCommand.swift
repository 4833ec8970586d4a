import ArgumentParser
import EchoPluginAPI
import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// `echochat user …`: operator tasks on the configured storage, no server needed.
struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Create, promote, disable and enable accounts.",
        subcommands: [Create.self, SetAdmin.self, Disable.self, Enable.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an account with a password (works even when registration is off).")

        @OptionGroup var options: ConfigOptions
        @Argument(help: "The username.") var name: String
        @Flag(help: "Make the account a server administrator.") var admin = false
        @Flag(name: .customLong("password-stdin"), help: "Read the password from the first line of standard input.")
        var passwordStdin = false
        @Option(name: .customLong("display-name"), help: "The name shown to others (default: the username).")
        var displayName: String?

        func run() async throws {
            guard let username = Usernames.canonical(name) else { throw ValidationError(Usernames.rule) }
            let shownName = try displayName.map {
                guard let valid = DisplayNames.validated($0) else { throw ValidationError("--display-name must be \(DisplayNames.rule)") }
                return valid
            }
            let password = try readPassword()
            try await withOperatorContext(options) { context in
                let names = LookalikeNames(storage: context.plugins.storage, logger: CLIOutput.logger(level: .warning))
                if let shownName {
                    // Accounts from before this check (or from another storage) are indexed first.
                    _ = try await names.indexStale()
                    let lookalikes = try await names.lookalikes(of: shownName, username: username, userID: nil)
                    let others = try await context.plugins.storage.users(ids: lookalikes)
                    if !others.isEmpty {
                        let list = others.map(\.username).sorted().joined(separator: ", ")
                        throw OperatorError("--display-name \(shownName.debugDescription) looks like the name of \(list); choose another")
                    }
                }
                let registration = Registration(
                    username: username, password: password, displayName: shownName ?? username, isAdmin: admin)
                // A name another source (a directory) knows stays that source's: a local account
                // would lock its owner out.
                for (source, provider) in context.plugins.auth {
                    do {
                        if try await provider.knowsUsername(username) {
                            throw OperatorError("auth.\(source) knows \(username); a local account would lock that user out")
                        }
                    } catch let error as AuthError where error.isBackendUnavailable {
                        throw OperatorError("cannot ask auth.\(source) whether it knows \(username): \(error.message)")
                    }
                }
                // The first plugin of the chain that can create accounts gets it.
                for (source, provider) in context.plugins.auth {
                    do {
                        let user = try await provider.register(registration)
                        await names.record(user)
                        await ServerAudit(storage: context.plugins.storage, logger: CLIOutput.logger(level: .warning)).record(
                            actor: "operator", action: "user.created",
                            details: ["username": user.username, "auth_source": source, "admin": String(user.isAdmin)])
                        CLIOutput.print("created \(user.username) (id \(user.id), auth \(source)\(user.isAdmin ? ", server admin" : ""))")
                        return
                    } catch let error as AuthError where error.isUnsupported {
                        continue
                    } catch let error as StorageError where error.isConflict {
                        throw OperatorError("a user named \(username) already exists")
                    } catch let error as AuthError where error.isRejectedPassword {
                        throw OperatorError(error.message)
                    }
                }
                throw OperatorError("no auth plugin in plugins.json can create accounts with a password")
            }
        }

        func readPassword() throws -> String {
            if passwordStdin {
                guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                    throw ValidationError("--password-stdin: standard input had no password")
                }
                return line
            }
            guard isatty(STDIN_FILENO) != 0 else {
                throw ValidationError("no terminal to ask for a password on; pass --password-stdin")
            }
            guard let first = getpass("Password: ").map({ String(cString: $0) }), !first.isEmpty,
                let second = getpass("Repeat password: ").map({ String(cString: $0) })
            else { throw ValidationError("no password given") }
            guard first == second else { throw ValidationError("the passwords differ") }
            return first
        }
    }

    struct SetAdmin: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set-admin", abstract: "Make a user a server administrator.")

        @OptionGroup var options: ConfigOptions
        @Argument(help: "The username.") var name: String
        @Flag(help: "Remove administrator rights instead.") var revoke = false

        func run() async throws {
            try await operate(ControlRequest(command: .setAdmin, username: name, revoke: revoke), options: options) { actions in
                try await actions.setAdmin(name, revoke: revoke)
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable an account and end its sessions.")

        @OptionGroup var options: ConfigOptions
        @Argument(help: "The username.") var name: String

        func run() async throws {
            try await operate(ControlRequest(command: .disable, username: name), options: options) { actions in
                try await actions.disable(name)
            }
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled account.")

        @OptionGroup var options: ConfigOptions
        @Argument(help: "The username.") var name: String

        func run() async throws {
            try await operate(ControlRequest(command: .enable, username: name), options: options) { actions in
                try await actions.enable(name)
            }
        }
    }
}

/// Plugins started for an operator command.
struct OperatorContext {
    let plugins: LoadedPlugins

    func user(named name: String) async throws -> User {
        guard let username = Usernames.canonical(name), let user = try await plugins.storage.user(named: username) else {
            throw OperatorError("no user named \(name)")
        }
        return user
    }
}

/// An operator command failed for a reason the operator can fix; printed without a stack.
struct OperatorError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Hands `request` to the server running on this configuration's `data_dir`, so that it takes
/// effect at once; with no server running, does the same on storage directly.
func operate(_ request: ControlRequest, options: ConfigOptions, onStorage: (OperatorActions) async throws -> String) async throws {
    let setup = try options.loadSetup()
    if let answer = try ControlClient.send(request, to: ControlRequest.socketPath(in: setup.server.dataDirectory)) {
        guard answer.ok else {
            CLIOutput.error(answer.message)
            throw ExitCode(1)
        }
        CLIOutput.print(answer.message)
        return
    }
    try await withOperatorContext(options) { context in
        do {
            CLIOutput.print(
                try await onStorage(
                    OperatorActions(
                        storage: context.plugins.storage, sessions: nil,
                        audit: ServerAudit(storage: context.plugins.storage, logger: CLIOutput.logger(level: .warning)))))
        } catch let error as EchoError {
            throw OperatorError(error.message)
        }
    }
}

/// Starts the configured storage and auth plugins, runs `body`, and shuts them down.
func withOperatorContext(_ options: ConfigOptions, _ body: (OperatorContext) async throws -> Void) async throws {
    let setup = try options.loadSetup()
    let logger = CLIOutput.logger(level: .warning)
    try FileManager.default.createDirectory(atPath: setup.server.dataDirectory, withIntermediateDirectories: true)
    let plugins: LoadedPlugins
    do {
        plugins = try await LoadedPlugins.start(setup, logger: logger, blocking: ThreadPoolExecutor())
    } catch {
        CLIOutput.error("cannot start: \(error)")
        throw ExitCode(1)
    }
    do {
        try await plugins.withServices { try await body(OperatorContext(plugins: plugins)) }
    } catch let error as OperatorError {
        await plugins.shutdown(logger: logger)
        CLIOutput.error(error.description)
        throw ExitCode(1)
    } catch {
        await plugins.shutdown(logger: logger)
        throw error
    }
    await plugins.shutdown(logger: logger)
}
