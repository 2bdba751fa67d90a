import NIOCore

/// Answers `/ext-ui/` memo hits (`ExtUIAnswerer.fromMemo`) straight from a connection's bytes,
/// ahead of NIO's HTTP/1 decoder, and hands every other request to the decoder whole.
///
/// Why: for an answer from the memo, NIO's decoder (llhttp, the request head and header strings
/// it builds) and the pipeline's hops after it cost more than the answer itself.
///
/// How framing and order stay right:
/// - `RequestFraming` finds where each request ends. A request not answered here is handed to
///   the decoder whole (a body still on its way follows as it arrives), so the decoder holds no
///   bytes whenever this handler looks at the next request: the decoder and this handler always
///   agree where requests start.
/// - A head `RequestFraming` cannot frame strictly makes the decoder read the rest of the
///   connection.
/// - A request is answered here only when `FastPathHandler.isIdle` (nothing handed on before it
///   waits for its response, no gateway call is out, no shutdown has begun) and the connection is
///   writable, so answers leave in request order and a client that does not read gets no more.
final class RawRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let answerer: ExtUIAnswerer
    /// The same connection's handler after the decoder: it knows what is in flight there.
    private let fastPath: FastPathHandler
    /// The start of a head that has not all arrived.
    private var partial: ByteBuffer?
    /// Bytes of a request handed to the decoder that are still to come.
    private var handingOver = 0
    /// The decoder reads everything from here on.
    private var decoderOnly = false
    private var unflushed = false
    /// Whether bytes went on to the decoder since the last read batch ended.
    private var forwarded = false

    init(answerer: ExtUIAnswerer, fastPath: FastPathHandler) {
        self.answerer = answerer
        self.fastPath = fastPath
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        if decoderOnly { return forward(buffer, context: context) }
        if var earlier = partial {
            partial = nil
            earlier.writeBuffer(&buffer)
            buffer = earlier
        }
        while buffer.readableBytes > 0 {
            if handingOver > 0 {
                let part = buffer.readSlice(length: min(handingOver, buffer.readableBytes))!
                handingOver -= part.readableBytes
                forward(part, context: context)
                continue
            }
            switch buffer.withUnsafeReadableBytes(RequestFraming.scan) {
            case .incomplete:
                partial = buffer
                return
            case .unknown:
                decoderOnly = true
                return forward(buffer, context: context)
            case .request(let length, let plain):
                if let plain, fastPath.isIdle, context.channel.isWritable,
                    let (head, body) = answerer.fromMemo(plain.key, requestIDField: plain.requestID, allocator: context.channel.allocator) {
                    buffer.moveReaderIndex(forwardBy: length)
                    FastPathHandler.write(head, body, through: context)
                    fastPath.answeredHere = true
                    answerer.undecoded.increment()
                    unflushed = true
                } else {
                    handingOver = length
                }
            }
        }
    }

    /// Answers of one read batch leave in one flush; the handlers after this one hear of the batch's
    /// end only when they were handed something in it.
    func channelReadComplete(context: ChannelHandlerContext) {
        if unflushed {
            unflushed = false
            context.flush()
        }
        if forwarded {
            forwarded = false
            context.fireChannelReadComplete()
        }
    }

    /// The end of input (or of the connection) reaches the decoder after any partial head, as if
    /// this handler were not there: the decoder then reports the request cut short as it would.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed { handOverPartial(context: context) }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        handOverPartial(context: context)
        context.fireChannelInactive()
    }

    private func handOverPartial(context: ChannelHandlerContext) {
        guard let rest = partial else { return }
        partial = nil
        decoderOnly = true
        forward(rest, context: context)
        context.fireChannelReadComplete()
        forwarded = false
    }

    private func forward(_ bytes: ByteBuffer, context: ChannelHandlerContext) {
        forwarded = true
        context.fireChannelRead(wrapInboundOut(bytes))
    }
}
