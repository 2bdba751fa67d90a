import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1

/// Hummingbird's HTTP/1 child channel with `FastPathHandler` placed right after NIO's HTTP/1
/// decoder, ahead of the conversion to HTTP types (Hummingbird's own `additionalChannelHandlers`
/// come after that conversion, which costs a URL parse per request), and `RawRequestHandler`
/// first of all, ahead of the decoder.
///
/// The pipeline is the one `HTTP1Channel.setup` builds, handler for handler, except that the
/// request decoder is not paired with the response encoder. NIO's `configureHTTPServerPipeline`
/// pairs them: the decoder queues each request's method in the encoder, and the encoder takes the
/// oldest one off for each response head it writes, to leave the body out of a HEAD's answer. The
/// fast path writes its answers past the encoder, so their methods were never taken off: the next
/// response Hummingbird wrote after a HEAD answered here lost its body, and the queue grew by one
/// per answer for the connection's life. Unpaired, the encoder frames by status as it did before
/// NIO paired them; Hummingbird and uiserve's responders leave a HEAD's body out themselves.
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
        let configuration = http1.configuration
        return channel.eventLoop.makeCompletedFuture {
            var limits = NIOHTTPDecoderLimitConfiguration()
            limits.maxHeaderFieldSize = configuration.httpDecoder.maxHeaderFieldSize
            limits.maxHeaderListSize = configuration.httpDecoder.maxHeaderListSize
            limits.maxHeaderFieldCount = configuration.httpDecoder.maxHeaderFieldCount
            let pipeline = channel.pipeline.syncOperations
            let encoder = HTTPResponseEncoder(configuration: .init())
            try pipeline.addHandler(encoder)
            try pipeline.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes, limitConfiguration: limits)))
            let fastPath = FastPathHandler(answerers: answerers, rawWriter: try pipeline.context(handler: encoder))
            try pipeline.addHandler(fastPath)
            try pipeline.addHandler(RawRequestHandler(answerer: answerers.extUI, fastPath: fastPath), position: .first)
            try pipeline.addHandler(HTTP1ToHTTPServerCodec(secure: false))
            try pipeline.addHandlers(configuration.additionalChannelHandlers())
            try pipeline.addHandler(HTTPConnectionStateHandler(idleTimeout: configuration.idleTimeout.map { .init($0) }, logger: logger))
            return try NIOAsyncChannel(wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
        }
    }

    func handle(value: Value, logger: Logger) async {
        await http1.handle(value: value, logger: logger)
    }
}
