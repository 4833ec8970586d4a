import EchoPluginAPI
import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// The running server's local control channel: a Unix socket in `data_dir` (owner-only, as the
/// folder is) where `echochat user disable|enable|set-admin` reach the server, so that their
/// effect is immediate (a disabled user's sockets close at once, on every instance), and where
/// `echochat reload` asks for a reload and hears how it went.
struct ControlServer: Service {
    let path: String
    let actions: OperatorActions
    let reloader: StrategyReloader
    let logger: Logger

    func run() async throws {
        if ControlClient.isServing(at: path) {
            logger.warning("another EchoChat answers on the control socket; this one has none", metadata: ["path": "\(path)"])
            try? await gracefulShutdown()
            return
        }
        let server: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>
        do {
            server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true) { channel in
                    channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
                }
        } catch {
            // Without it operator commands work on storage alone, as with no server running.
            logger.warning("cannot open the control socket; operator commands will not reach this server", metadata: ["path": "\(path)", "error": "\(error)"])
            try? await gracefulShutdown()
            return
        }
        chmod(path, 0o600)
        logger.debug("control socket ready", metadata: ["path": "\(path)"])
        do {
            try await cancelWhenGracefulShutdown {
                try await withThrowingDiscardingTaskGroup { group in
                    try await server.executeThenClose { connections in
                        for try await connection in connections {
                            group.addTask(operation: { await self.serve(connection) })
                        }
                    }
                }
            }
        } catch is CancellationError {
            // The server is stopping.
        }
        unlink(path)
    }

    private func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async {
        try? await connection.executeThenClose { inbound, outbound in
            var line = ByteBuffer()
            for try await chunk in inbound {
                line.writeImmutableBuffer(chunk)
                guard line.readableBytesView.contains(UInt8(ascii: "\n")) else {
                    if line.readableBytes > 4096 { return }
                    continue
                }
                var answer = try JSONEncoder().encode(await answer(Data(line.readableBytesView)))
                answer.append(UInt8(ascii: "\n"))
                try await outbound.write(ByteBuffer(bytes: answer))
                return
            }
        }
    }

    private func answer(_ line: Data) async -> ControlRequest.Answer {
        guard let request = try? JSONDecoder().decode(ControlRequest.self, from: line) else {
            return .init(ok: false, message: "not a control request")
        }
        do {
            let message: String
            switch request.command {
            case .disable: message = try await actions.disable(request.username)
            case .enable: message = try await actions.enable(request.username)
            case .setAdmin: message = try await actions.setAdmin(request.username, revoke: request.revoke)
            case .reload:
                let report = await reloader.reload(trigger: "echochat reload")
                return .init(ok: report.ok, message: report.lines.joined(separator: "\n"))
            }
            logger.notice("operator: \(message)", metadata: ["command": "\(request.command.rawValue)"])
            return .init(ok: true, message: message)
        } catch let error as EchoError {
            return .init(ok: false, message: error.message)
        } catch {
            return .init(ok: false, message: "\(error)")
        }
    }
}
