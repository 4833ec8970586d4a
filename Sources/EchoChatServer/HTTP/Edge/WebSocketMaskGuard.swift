import NIOCore

/// Follows the frame headers of a client's WebSocket byte stream: RFC 6455 requires every
/// client frame to be masked, and a server to close with 1002 on one that is not.
struct WebSocketFrameScanner: Equatable {
    private var header: [UInt8] = []
    private var payloadLeft: UInt64 = 0

    /// Reads `bytes`; `false` as soon as a frame header shows no mask.
    mutating func scan(_ bytes: some Collection<UInt8>) -> Bool {
        var index = bytes.startIndex
        while index != bytes.endIndex {
            if payloadLeft > 0 {
                let available = UInt64(bytes.distance(from: index, to: bytes.endIndex))
                let skip = min(payloadLeft, available)
                index = bytes.index(index, offsetBy: Int(skip))
                payloadLeft -= skip
                continue
            }
            header.append(bytes[index])
            index = bytes.index(after: index)
            guard header.count >= 2 else { continue }
            guard header[1] & 0x80 != 0 else { return false }
            let length7 = header[1] & 0x7F
            let extended = length7 == 126 ? 2 : length7 == 127 ? 8 : 0
            guard header.count == 2 + extended + 4 else { continue }
            var length = UInt64(length7)
            if extended > 0 { length = header[2..<2 + extended].reduce(0) { $0 << 8 | UInt64($1) } }
            payloadLeft = length
            header.removeAll(keepingCapacity: true)
        }
        return true
    }
}

/// Put first in a connection's pipeline when it becomes a WebSocket: an unmasked client frame
/// gets a close frame with 1002 (protocol error) and the connection ends.
final class WebSocketMaskGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private var scanner = WebSocketFrameScanner()
    private var isClosing = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !isClosing else { return }
        let bytes = unwrapInboundIn(data)
        guard scanner.scan(bytes.readableBytesView) else {
            isClosing = true
            let reason = "client frames must be masked"
            var close = ByteBuffer(bytes: [0x88, UInt8(2 + reason.utf8.count), 0x03, 0xEA])
            close.writeString(reason)
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.writeAndFlush(NIOAny(close)).whenComplete { _ in bound.value.close(promise: nil) }
            return
        }
        context.fireChannelRead(data)
    }
}
