/// Asking the terminal itself, for when the environment isn't conclusive
/// (plain xterm, unknown terminals). A round trip costs up to `timeout`, and
/// the reply arrives on the input, so stdin must be in non-canonical mode
/// (see `KeyReader`) or it waits for Enter.
public enum TerminalQuery {
    /// Primary Device Attributes request.
    public static let deviceAttributesRequest: [UInt8] = Array("\u{1B}[c".utf8)

    /// Sends DA1 (`ESC [ c`) and reads the reply `ESC [ ? Ps ; … c`:
    /// attribute 4 means sixel graphics. nil when nothing (complete) came back
    /// in time. `read` returns what's available within the given seconds, or nil.
    public static func supportsSixel(write: ([UInt8]) -> Void,
                                     read: (_ timeout: Double) -> [UInt8]?,
                                     timeout: Double = 0.2) -> Bool? {
        write(deviceAttributesRequest)
        var reply: [UInt8] = []
        var remaining = timeout
        let step = 0.02
        while remaining > 0 {
            if let bytes = read(min(step, remaining)) { reply += bytes }
            if let attributes = deviceAttributes(in: reply) { return attributes.contains(4) }
            remaining -= step
        }
        return nil
    }

    /// The same question asked of a real terminal: `input` (its keyboard side, normally stdin)
    /// is switched to non-canonical mode for the reply and back, the request goes to `output`.
    /// nil when `input` is not a terminal, the request cannot be written, or no reply came.
    public static func supportsSixel(input: Int32, output: Int32, timeout: Double = 0.2) -> Bool? {
        let reader = KeyReader(input: input)
        defer { reader.restore() }
        guard reader.isActive else { return nil }
        var written = true
        let answer = supportsSixel(write: { bytes in
            if case .failure = FileDescriptorWriter.writeAll(bytes, to: output) { written = false }
        }, read: { seconds in written ? reader.readBytes(timeout: seconds) : nil }, timeout: timeout)
        return written ? answer : nil
    }

    /// The parameters of the first complete DA1 reply in `bytes`, skipping anything before it
    /// (keys typed meanwhile).
    public static func deviceAttributes(in bytes: [UInt8]) -> [Int]? {
        var i = 0
        while i + 2 < bytes.count {
            guard bytes[i] == 0x1B, bytes[i + 1] == UInt8(ascii: "["), bytes[i + 2] == UInt8(ascii: "?") else { i += 1; continue }
            var parameters: [Int] = [], current = 0, j = i + 3
            while j < bytes.count {
                let byte = bytes[j]
                if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                    current = current * 10 + Int(byte - UInt8(ascii: "0"))
                } else if byte == UInt8(ascii: ";") {
                    parameters.append(current); current = 0
                } else if byte == UInt8(ascii: "c") {
                    parameters.append(current)
                    return parameters
                } else {
                    break   // some other sequence
                }
                j += 1
            }
            if j >= bytes.count { return nil }   // incomplete: wait for more
            i = j
        }
        return nil
    }
}
