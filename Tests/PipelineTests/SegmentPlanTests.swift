import Foundation
import XCTest
import Pipeline

final class SegmentPlanTests: TemporaryFolderTestCase {
    func testTimesParseAsSecondsOrClockTime() {
        XCTAssertEqual(TimeRange.seconds(parsing: "90"), 90)
        XCTAssertEqual(TimeRange.seconds(parsing: "12.5"), 12.5)
        XCTAssertEqual(TimeRange.seconds(parsing: "1:30"), 90)
        XCTAssertEqual(TimeRange.seconds(parsing: "0:01:30.5"), 90.5)
        XCTAssertEqual(TimeRange.seconds(parsing: "2:00:00"), 7200)
        for bad in ["", "abc", "-3", "1:75", "1::2", "1:2:3:4", "1.5:30", "1e3", ":30"] {
            XCTAssertNil(TimeRange.seconds(parsing: bad), bad)
        }
        XCTAssertEqual(TimeRange.format(3.52), "3.52")
        XCTAssertEqual(TimeRange.format(25), "25")
    }

    private func segment(_ index: Int, from: Double, to: Double?, frames: Int, first: Int) -> SegmentPlan.Segment {
        SegmentPlan.Segment(index: index, from: from, to: to, frames: frames, firstFrame: first, seam: index == 0 ? "start" : "keyframe",
                            warmUp: index == 0 ? 0 : nil, output: String(format: "segment-%03d.mp4", index), cpus: 2)
    }

    func testAPlanIsReadBackAndEveryInconsistencyIsNamed() throws {
        let good = SegmentPlan(input: "/data/in.mp4", inputBytes: 1000, frames: 100, duration: 4,
                               segments: [segment(0, from: 0, to: 2, frames: 50, first: 0), segment(1, from: 2, to: nil, frames: 50, first: 50)])
        let path = folder.appendingPathComponent("plan.json").path
        try good.json().write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertEqual(try SegmentPlan.read(path: path), good)

        func expect(_ plan: SegmentPlan, _ needle: String, line: UInt = #line) throws {
            try plan.json().write(toFile: path, atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try SegmentPlan.read(path: path), line: line) { error in
                let message = (error as? PipelineError)?.message ?? ""
                XCTAssertTrue(message.contains(needle), "'\(needle)' not in: \(message)", line: line)
            }
        }
        var plan = good
        plan.frames = 99
        try expect(plan, "the segments have 100 frames, the plan says 99")
        plan = good
        plan.segments[1].from = 3
        try expect(plan, "segment 0 does not end where segment 1 starts")
        plan = good
        plan.segments[1].output = "../elsewhere.mp4"
        try expect(plan, "must be a path inside the plan's folder")
        plan = good
        plan.segments[1].firstFrame = 40
        try expect(plan, "segment 1's frames do not follow segment 0's")
        plan = good
        plan.format = "stylize-plan/9"
        try expect(plan, "format \"stylize-plan/9\"")
        try Data("[1, 2".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try SegmentPlan.read(path: path)) { error in
            XCTAssertTrue(((error as? PipelineError)?.message ?? "").contains("not a segment plan (not valid JSON)"))
        }
    }
}
