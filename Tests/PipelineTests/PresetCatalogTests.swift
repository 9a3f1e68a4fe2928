import Foundation
import XCTest
import PresetCatalog

final class PresetCatalogTests: TemporaryFolderTestCase {
    var root: URL { folder }

    func makePreset(_ name: String, in folder: URL, manifest: String, models: [String] = ["m.onnx"]) throws {
        let dir = folder.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try manifest.write(to: dir.appendingPathComponent("preset.json"), atomically: true, encoding: .utf8)
        for model in models { FileManager.default.createFile(atPath: dir.appendingPathComponent(model).path, contents: Data()) }
    }

    func testResolvesByNameDefaultAndUserFolderShadowsShipped() throws {
        let user = root.appendingPathComponent("user"), shipped = root.appendingPathComponent("shipped")
        try makePreset("wave", in: shipped, manifest: #"{"title": "Wave", "models": {"quality": "m.onnx"}}"#)
        try makePreset("ink", in: shipped, manifest: #"{"title": "Ink", "default": true, "models": {"quality": "m.onnx"}}"#)
        try makePreset("wave", in: user, manifest: #"{"title": "My Wave", "models": {"realtime": "m.onnx"}}"#)
        let catalog = PresetCatalog(searchPaths: [user.path, shipped.path])
        XCTAssertEqual(catalog.all().map(\.name), ["ink", "wave"])
        XCTAssertEqual(try catalog.resolve("wave").title, "My Wave")
        XCTAssertEqual(try catalog.resolve(nil).name, "ink")
        let wave = try catalog.resolve("wave")
        XCTAssertEqual(wave.modelPath(for: .quality), wave.modelPath(for: .realtime), "falls back to the variant it has")
        // $STYLIZE_STYLE picks the default; an explicit --style still wins.
        let chosen = PresetCatalog(environment: ["STYLIZE_PRESETS": "\(user.path):\(shipped.path)", "STYLIZE_STYLE": "wave",
                                                 "HOME": root.path])
        XCTAssertEqual(try chosen.resolve(nil).title, "My Wave")
        XCTAssertEqual(try chosen.resolve("ink").name, "ink")
    }

    func testSizeMultipleComesFromTheManifest() throws {
        try makePreset("rt", in: root, manifest: #"{"models": {"realtime": "m.onnx"}, "sizeMultiple": 8}"#)
        try makePreset("plain", in: root, manifest: #"{"models": {"quality": "m.onnx"}}"#)
        try makePreset("silly", in: root, manifest: #"{"models": {"quality": "m.onnx"}, "sizeMultiple": 0}"#)
        let catalog = PresetCatalog(searchPaths: [root.path])
        XCTAssertEqual(try catalog.resolve("rt").sizeMultiple, 8)
        XCTAssertEqual(try catalog.resolve("plain").sizeMultiple, 4)
        XCTAssertThrowsError(try catalog.resolve("silly")) { XCTAssertTrue("\($0)".contains("sizeMultiple")) }
    }

    func testErrorsNameTheProblem() throws {
        try makePreset("broken", in: root, manifest: "{ not json")
        try makePreset("nomodel", in: root, manifest: #"{"models": {"quality": "missing.onnx"}}"#, models: [])
        let catalog = PresetCatalog(searchPaths: [root.path])
        XCTAssertThrowsError(try catalog.resolve("broken")) { XCTAssertTrue("\($0)".contains("malformed")) }
        XCTAssertThrowsError(try catalog.resolve("nomodel")) { XCTAssertTrue("\($0)".contains("missing.onnx")) }
        XCTAssertThrowsError(try catalog.resolve("nothing-here")) { XCTAssertTrue("\($0)".contains("unknown style")) }
        XCTAssertThrowsError(try catalog.resolve("/no/such/model.onnx")) { XCTAssertTrue("\($0)".contains("not found")) }
    }

    func testShippedPresetsLoad() throws {
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let catalog = PresetCatalog(searchPaths: [repo.appendingPathComponent("Presets").path])
        let presets = catalog.all()
        XCTAssertFalse(presets.isEmpty)
        XCTAssertEqual(presets.filter(\.isDefault).count, 1, "exactly one shipped default")
    }
}
