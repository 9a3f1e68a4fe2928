import OpticalFlow

/// One input frame as temporal blending sees it: the gray pyramid and gradients for the
/// optical flow, and the frame as Y, Cb, Cr planes (BT.601; Y 0…255, Cb/Cr ±128) for the
/// check that the flow really explains the next frame — a gray-only check is blind to an
/// object whose colour differs from the background but whose brightness does not.
public struct MotionFrame: @unchecked Sendable {
    public let flow: FlowFrame
    /// Y, then Cb, then Cr, each width × height.
    public let planes: [Float]

    /// From planar RGB 0…255 at network size.
    init(planar rgb: UnsafePointer<Float>, width: Int, height: Int, settings: DISSettings) {
        let n = width * height
        var planes = [Float].uninitialized(3 * n)
        planes.withUnsafeMutableBufferPointer { p in
            for i in 0..<n {
                (p[i], p[n + i], p[2 * n + i]) = BT601.ycbcr(rgb[i], rgb[n + i], rgb[2 * n + i])
            }
        }
        flow = FlowFrame(GrayImage(width: width, height: height, pixels: Array(planes[0..<n])), for: settings)
        self.planes = planes
    }
}
