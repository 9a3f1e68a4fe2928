/// Every failure the engine reports: a bad model file, an unsupported operator,
/// an input that does not fit the model. One line, meant for a person.
public struct EngineError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public var description: String { message }

    public init(_ message: String) { self.message = message }

    /// The same error with context in front ("node 'conv1' (Conv): ...").
    func prefixed(_ context: String) -> EngineError {
        EngineError("\(context): \(message)")
    }
}
