import CKernels

/// Separable box blur with clamped (replicated) borders (rows summed directly for small radii,
/// as prefix sums for wide ones; running sums down columns; the C kernel `stylize_box_blur`). Softens
/// confidence masks and brightness changes, and gives the local means and variances of the
/// temporal blend.
public enum BoxBlur {
    public static func apply(_ src: [Float], width: Int, height: Int, radius r: Int) -> [Float] {
        if r <= 0 { return src }
        var dst = [Float].uninitialized(src.count)
        var workspace = [Float]()
        src.withUnsafeBufferPointer { s in
            dst.withUnsafeMutableBufferPointer { d in
                apply(s.baseAddress!, into: d.baseAddress!, width: width, height: height, radius: r, workspace: &workspace)
            }
        }
        return dst
    }

    /// The blur without allocating (after the first call): `workspace` grows to what the C
    /// kernel needs (a ring of 2r + 2 rows, a few rows more) and is kept for the next call.
    /// `dst` may be `src`.
    public static func apply(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>, width: Int, height: Int,
                             radius r: Int, workspace: inout [Float]) {
        if r <= 0 || width <= 0 || height <= 0 {
            if UnsafePointer(dst) != src { dst.update(from: src, count: max(width * height, 0)) }
            return
        }
        let needed = stylize_box_blur_workspace(Int32(width), Int32(r))
        if workspace.count < needed { workspace = [Float](repeating: 0, count: needed) }
        workspace.withUnsafeMutableBufferPointer { ws in
            stylize_box_blur(vectors, src, dst, Int32(width), Int32(height), Int32(r), ws.baseAddress!)
        }
    }

    /// Array forms of the above: `output` (`src`'s size) ← the blur of `src`, a `width`-wide plane.
    public static func apply(_ src: [Float], into output: inout [Float], width: Int, radius r: Int,
                             workspace: inout [Float]) {
        precondition(output.count == src.count && width > 0, "the blur's output must be the plane's size")
        src.withUnsafeBufferPointer { s in
            output.withUnsafeMutableBufferPointer { d in
                apply(s.baseAddress!, into: d.baseAddress!, width: width, height: s.count / width, radius: r,
                      workspace: &workspace)
            }
        }
    }

    /// `plane` ← its blur, in place.
    public static func apply(inPlace plane: inout [Float], width: Int, radius r: Int, workspace: inout [Float]) {
        precondition(width > 0, "a plane has a width")
        plane.withUnsafeMutableBufferPointer { p in
            apply(p.baseAddress!, into: p.baseAddress!, width: width, height: p.count / width, radius: r,
                  workspace: &workspace)
        }
    }

    /// The widest vector kernel this CPU runs, asked once.
    static let vectors = stylize_vector_kernel_best()

    /// Mean and variance of `src` over each pixel's (2r+1)² window (clamped borders), for
    /// values on a 0…255 scale. `mean` and `variance` must not overlap `src`.
    public static func localMoments(_ src: UnsafePointer<Float>, mean: UnsafeMutablePointer<Float>,
                                    variance: UnsafeMutablePointer<Float>, width: Int, height: Int, radius r: Int,
                                    workspace: inout [Float]) {
        // E[(x−k)²] − (E[x]−k)² with k mid-range (the C kernel): smaller squares, less cancellation in Float.
        let needed = stylize_box_blur_workspace(Int32(width), Int32(r))
        if workspace.count < needed { workspace = [Float](repeating: 0, count: needed) }
        workspace.withUnsafeMutableBufferPointer { ws in
            stylize_local_moments(vectors, src, mean, variance, Int32(width), Int32(height), Int32(r), ws.baseAddress!)
        }
    }
}
