#ifndef STYLIZE_CV4L2_SHIM_H
#define STYLIZE_CV4L2_SHIM_H
#include <linux/videodev2.h>
#include <libv4l2.h>
#endif
