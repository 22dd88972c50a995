// The one capture task of a process: grabs the screen at `fps`, and when something changed encodes what the
// viewers need once (the whole picture, the changed regions as tiles, or both) and hands it to a sink.
// When nothing changed it makes nothing (the viewers' pictures are still current).
// Owns a dedicated thread (capture and JPEG encoding are blocking work and never run on I/O threads).
// Frames are paced on a fixed schedule; when the machine falls behind, ticks are skipped, never bunched.
#pragma once
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "core/metrics.hpp"
#include "screen/frame.hpp"
#include "screen/io/frame_hub.hpp"
#include "screen/screen_source.hpp"

namespace redred::screen {

struct CaptureSettings {
    int fps = 15;
    int quality = 75;
    // Tile viewers get a whole picture at least this often while the screen changes (never on a still one).
    std::chrono::milliseconds key_frame_interval{5000};
    // A change covering at least this share of the picture is sent as one whole picture instead of tiles.
    double key_frame_area = 0.5;
};

class CaptureLoop {
public:
    using FrameSink = std::function<void(FramePtr)>;        // called on the capture thread
    using DemandSource = std::function<CaptureDemand()>;    // called on the capture thread, once per tick

    // `source` is borrowed and used only by this loop's thread until stop() returns.
    CaptureLoop(ScreenSource& source, Metrics& metrics, std::string task_id, CaptureSettings settings,
                DemandSource demand, FrameSink sink);
    ~CaptureLoop();  // stops and joins
    CaptureLoop(const CaptureLoop&) = delete;
    CaptureLoop& operator=(const CaptureLoop&) = delete;

    void stop();  // idempotent; returns after the thread has finished its current frame
    const std::string& task_id() const { return task_id_; }

private:
    void run();

    ScreenSource& source_;
    Metrics& metrics_;
    const std::string task_id_;
    const CaptureSettings settings_;
    DemandSource demand_;
    FrameSink sink_;

    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;  // last: starts after every member above is ready
};

}  // namespace redred::screen
