import Hummingbird
import NIOCore

/// The per-request context: Hummingbird's core storage plus the peer's address.
struct EchoRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The TCP peer (a reverse proxy when one is in front).
    let peerAddress: SocketAddress?

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.peerAddress = source.channel.remoteAddress
    }

    var maxUploadSize: Int { JSONBody.maxRequestBytes }
}
