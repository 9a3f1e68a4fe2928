import XCTest
@testable import Pipeline

/// `--precision`: auto follows what the CPU reports, a named precision the CPU lacks is refused
/// with the setting named (so the CLI can name its flag), and the choice reaches the session.
final class PrecisionChoiceTests: XCTestCase {
    func testAutoFollowsTheCPU() throws {
        XCTAssertEqual(try PrecisionChoice.auto.resolved(cpu: CPUFeatures()), .fp32)
        XCTAssertEqual(try PrecisionChoice.auto.resolved(cpu: CPUFeatures(avx512BF16: true)), .fp32)
        XCTAssertEqual(try PrecisionChoice.auto.resolved(cpu: CPUFeatures(avx512VNNI: true)), .int8)
        XCTAssertEqual(try PrecisionChoice.auto.resolved(cpu: CPUFeatures(avxVNNI: true)), .int8)
        XCTAssertEqual(try PrecisionChoice.fp32.resolved(cpu: CPUFeatures()), .fp32)
        XCTAssertEqual(try PrecisionChoice.bf16.resolved(cpu: CPUFeatures(avx512BF16: true)), .bf16)
    }

    func testAPrecisionTheCPULacksIsRefusedByItsSetting() {
        for choice in [PrecisionChoice.bf16, .int8] {
            XCTAssertThrowsError(try choice.resolved(cpu: CPUFeatures())) { error in
                let error = error as! PipelineError
                XCTAssertEqual(error.setting, .precision)
                XCTAssertTrue(error.requirement?.contains(choice == .bf16 ? "AVX512-BF16" : "AVX-VNNI") == true, "\(error)")
            }
        }
    }

    func testTheChoiceReachesTheStyleSettings() throws {
        let settings = try StyleSettings(style: "starry-night", variant: .realtime, precision: .fp32)
        XCTAssertEqual(settings.precision, .fp32)
        let automatic = try StyleSettings(style: "starry-night", variant: .realtime, precision: .auto)
        XCTAssertEqual(automatic.precision, try PrecisionChoice.auto.resolved())
    }
}
