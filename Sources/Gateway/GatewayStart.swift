/// How a gateway request goes on after its head.
public enum GatewayStart: Sendable {
    /// Answered already (a refusal, a preflight): the reply is final.
    case reply(GatewayReply)
    /// Admitted: read the body (`GatewayCall.collect`), then `run` the call.
    case call(GatewayCall)
}
