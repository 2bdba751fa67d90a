import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1

/// Hummingbird's HTTP/1 child channel with `FastPathHandler` placed right after NIO's HTTP/1
/// decoder, ahead of the conversion to HTTP types (Hummingbird's own `additionalChannelHandlers`
/// come after that conversion, which costs a URL parse per request).
///
/// Hummingbird's connection state handler never sees the requests answered there; that is right
/// for its graceful shutdown (the fast path hands it the quiesce event once its answers have left),
/// but an idle timeout, if one is ever configured, would count a connection busy with such answers
/// as idle.
struct FastPathHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value

    let http1: HTTP1Channel
    let answerers: FastPathHandler.Answerers

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let answerers = self.answerers
        return http1.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let pipeline = channel.pipeline.syncOperations
            let encoder = try pipeline.context(handlerType: HTTPResponseEncoder.self)
            let codec = try pipeline.handler(type: HTTP1ToHTTPServerCodec.self)
            try pipeline.addHandler(FastPathHandler(answerers: answerers, rawWriter: encoder), position: .before(codec))
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await http1.handle(value: value, logger: logger)
    }
}
