/// A step's result: the next step's input, or the reply that ends the request.
enum GatewayStep<Value> {
    case next(Value)
    case reply(GatewayReply)
}
