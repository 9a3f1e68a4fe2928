// Camera: webcams in, virtual cameras and YUV4MPEG2 streams out.
//
// Layering, from the bottom up:
//
//   CV4L2 (C shim)        request codes, fourccs and fixed-arity wrappers
//        │
//   V4L2Driver            the one boundary every device call crosses:
//        │                open, close, ioctl, mmap, munmap, poll, read, write.
//        │                `.system` is libv4l2 + poll(2); tests plug in
//        │                `FakeV4L2Kernel` (Tests/CameraTestSupport), a
//        │                kernel-like stand-in.
//   V4L2Handle            builds the C structs, issues the ioctls, reads the
//        │                replies: the only place in this module that
//        │                touches V4L2 structs through pointers.
//   CaptureDevice,        what callers use: typed values in, `CameraError` out.
//   LoopbackOutput,
//   Y4MWriter
//
// Because the fake sits *below* our ioctl code (it receives the same request
// codes and struct pointers the kernel would), tests exercise the real
// negotiation, buffer and streaming logic, not a mock of it.
//
// Buffer memory (mmap) is read only by CaptureDevice, through PixelRepacking,
// whose loops are the hot path: one pass per frame, no allocation, and no
// colour maths (frames go in and out as I420; swscale in MediaIO converts).
