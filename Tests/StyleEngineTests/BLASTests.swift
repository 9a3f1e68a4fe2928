import XCTest
import StyleEngine

final class BLASTests: XCTestCase {
    func testLoadReportsTheLibraryAndCore() throws {
        let info = try BLAS.load()
        XCTAssertTrue(info.library.contains("openblas"), info.library)
        XCTAssertFalse(info.corename.isEmpty)
        if let requested = info.requestedCore, !info.coreTypeFromUser {
            // We asked for a core: OpenBLAS should report using it (case differs between the two).
            XCTAssertEqual(info.corename.lowercased(), requested.lowercased())
        }
    }

    func testLoadingLeavesOpenBLASSingleThreaded() throws {
        try BLAS.load()
        // Tests that change the count put it back, so loading's setting shows.
        XCTAssertEqual(BLAS.threads, 1)
    }

    func testThreadCountRoundTrips() {
        let original = BLAS.threads
        defer { BLAS.threads = original }
        BLAS.threads = 1
        XCTAssertEqual(BLAS.threads, 1)
        BLAS.threads = 2
        XCTAssertEqual(BLAS.threads, 2)
    }
}
