import XCTest
@testable import Terminal

final class KittyEncoderTests: XCTestCase {
    struct Chunk {
        var keys: [String: String]
        var payload: [UInt8]
    }

    /// Splits the output into APC graphics commands: `ESC _ G keys ; payload ESC \`.
    private func chunks(_ bytes: [UInt8]) throws -> (prefix: [UInt8], chunks: [Chunk]) {
        var result: [Chunk] = []
        var i = 0
        var prefix: [UInt8] = []
        while i < bytes.count {
            guard i + 2 < bytes.count, bytes[i] == 0x1B, bytes[i + 1] == UInt8(ascii: "_"), bytes[i + 2] == UInt8(ascii: "G") else {
                XCTAssertTrue(result.isEmpty, "bytes between or after graphics commands")
                prefix.append(bytes[i]); i += 1; continue
            }
            i += 3
            guard let end = (i..<(bytes.count - 1)).first(where: { bytes[$0] == 0x1B && bytes[$0 + 1] == UInt8(ascii: "\\") }) else {
                throw XCTSkip("unterminated APC")
            }
            let body = Array(bytes[i..<end])
            let separator = body.firstIndex(of: UInt8(ascii: ";")) ?? body.count
            var keys: [String: String] = [:]
            for pair in String(decoding: body[..<separator], as: UTF8.self).split(separator: ",") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                XCTAssertEqual(parts.count, 2, "key=value: \(pair)")
                XCTAssertNil(keys[String(parts[0])], "key repeated: \(pair)")
                keys[String(parts[0])] = String(parts.last!)
            }
            result.append(Chunk(keys: keys, payload: separator < body.count ? Array(body[(separator + 1)...]) : []))
            i = end + 2
        }
        return (prefix, result)
    }

    private func checkRoundTrip(_ image: RGBImage, columns: Int, rows: Int, id: UInt32) throws {
        let bytes = KittyEncoder.encode(image, columns: columns, rows: rows, imageID: id, origin: CellPosition(row: 3, column: 5))
        let (prefix, parsed) = try chunks(bytes)
        XCTAssertEqual(String(decoding: prefix, as: UTF8.self), "\u{1B}[3;5H", "positioned before drawing")
        XCTAssertFalse(parsed.isEmpty)
        let first = parsed[0].keys
        XCTAssertEqual(first["a"], "T")
        XCTAssertEqual(first["f"], "24")
        XCTAssertEqual(first["s"], "\(image.width)")
        XCTAssertEqual(first["v"], "\(image.height)")
        XCTAssertEqual(first["i"], "\(id)")
        XCTAssertEqual(first["p"], "1")
        XCTAssertEqual(first["c"], "\(columns)")
        XCTAssertEqual(first["r"], "\(rows)")
        XCTAssertEqual(first["q"], "2")
        for (n, chunk) in parsed.enumerated() {
            let isLast = n == parsed.count - 1
            XCTAssertEqual(chunk.keys["m"], isLast ? "0" : "1", "chunk \(n) of \(parsed.count)")
            XCTAssertLessThanOrEqual(chunk.payload.count, 4096)
            if !isLast { XCTAssertEqual(chunk.payload.count % 4, 0, "non-final chunks are whole base64 quads") }
            if n > 0 { XCTAssertEqual(Set(chunk.keys.keys), ["m", "q"], "continuations carry only m (and q)") }
        }
        let base64 = parsed.flatMap(\.payload)
        let decoded = try XCTUnwrap(Data(base64Encoded: Data(base64)))
        XCTAssertEqual([UInt8](decoded), image.pixels, "payload is the image, byte for byte")
    }

    func testManyChunksRoundTrip() throws {
        // 640×360 RGB = 691 200 bytes = 921 600 base64 characters: 225 chunks.
        let image = TestImages.smoothField(width: 640, height: 360)
        try checkRoundTrip(image, columns: 80, rows: 22, id: 7)
        let (_, parsed) = try chunks(KittyEncoder.encode(image, columns: 80, rows: 22))
        XCTAssertEqual(parsed.count, 225)
    }

    func testSingleChunkAndExactBoundary() throws {
        try checkRoundTrip(TestImages.gradient(width: 3, height: 2), columns: 2, rows: 1, id: 1)
        // 1024 pixels × 3 bytes = 3072 bytes = exactly 4096 base64 characters: one full final chunk.
        try checkRoundTrip(TestImages.gradient(width: 32, height: 32), columns: 4, rows: 2, id: 99)
        let (_, parsed) = try chunks(KittyEncoder.encode(TestImages.gradient(width: 32, height: 32), columns: 4, rows: 2))
        XCTAssertEqual(parsed.count, 1)
    }

    func testDelete() throws {
        let (_, parsed) = try chunks(KittyEncoder.delete(imageID: 12))
        XCTAssertEqual(parsed.count, 1)
        XCTAssertEqual(parsed[0].keys, ["a": "d", "d": "I", "i": "12", "q": "2"])
    }
}
