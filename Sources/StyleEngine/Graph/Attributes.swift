/// Typed access to a node's attributes, with one-line errors that name the
/// node, the attribute and what was wrong.
struct NodeAttributes {
    private let byName: [String: AttributeProto]

    init(_ attributes: [AttributeProto]) {
        var byName: [String: AttributeProto] = [:]
        for attribute in attributes { byName[attribute.name] = attribute }
        self.byName = byName
    }

    func has(_ name: String) -> Bool { byName[name] != nil }

    private func attribute(_ name: String, _ kind: AttributeProto.Kind) throws(EngineError) -> AttributeProto? {
        guard let attribute = byName[name] else { return nil }
        guard attribute.kind == kind else {
            throw EngineError("attribute '\(name)' has type \(attribute.kind), expected \(kind)")
        }
        return attribute
    }

    func int(_ name: String) throws(EngineError) -> Int? {
        try attribute(name, .int).map { clampedInt($0.i) }
    }

    func int(_ name: String, default value: Int) throws(EngineError) -> Int {
        try int(name) ?? value
    }

    func float(_ name: String) throws(EngineError) -> Float? {
        try attribute(name, .float)?.f
    }

    func float(_ name: String, default value: Float) throws(EngineError) -> Float {
        try float(name) ?? value
    }

    func string(_ name: String) throws(EngineError) -> String? {
        try attribute(name, .string).map { String(decoding: $0.s, as: UTF8.self) }
    }

    func string(_ name: String, default value: String) throws(EngineError) -> String {
        try string(name) ?? value
    }

    func ints(_ name: String) throws(EngineError) -> [Int]? {
        try attribute(name, .ints).map { $0.ints.map(clampedInt) }
    }

    func floats(_ name: String) throws(EngineError) -> [Float]? {
        try attribute(name, .floats)?.floats
    }

    func tensor(_ name: String) throws(EngineError) -> ConstantTensor? {
        guard let proto = try attribute(name, .tensor)?.t else { return nil }
        return try ConstantTensor(proto)
    }

    /// An integer list whose entries must lie in `range` (kernel sizes, strides, pads...).
    func ints(_ name: String, in range: ClosedRange<Int>) throws(EngineError) -> [Int]? {
        guard let values = try ints(name) else { return nil }
        for value in values where !range.contains(value) {
            throw EngineError("attribute '\(name)' value \(value) is out of range \(range)")
        }
        return values
    }

    /// A string attribute that must be one of `allowed`.
    func choice(_ name: String, default value: String, allowed: [String]) throws(EngineError) -> String {
        let chosen = try string(name, default: value)
        guard allowed.contains(chosen) else {
            throw EngineError("unsupported \(name) '\(chosen)' (supported: \(allowed.joined(separator: ", ")))")
        }
        return chosen
    }
}
