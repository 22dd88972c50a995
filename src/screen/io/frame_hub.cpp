#include "screen/io/frame_hub.hpp"

namespace redred::screen {
namespace {

bool wants_pictures(FeedTransport t) { return t != FeedTransport::Tiles; }

constexpr std::size_t kDeltaCacheSize = 4;

}  // namespace

FeedSubscription::FeedSubscription(std::shared_ptr<FrameHub> hub, net::any_io_executor strand, Metrics& metrics,
                                   FeedTransport transport)
    : hub_(std::move(hub)), strand_(std::move(strand)), wake_(strand_), metrics_(metrics), transport_(transport) {
    metrics_.feed_viewers[static_cast<int>(transport_)].add();
}

FeedSubscription::~FeedSubscription() {
    metrics_.feed_viewers[static_cast<int>(transport_)].sub();
    hub_->unsubscribed(transport_);
}

net::awaitable<FeedSubscription::Wake> FeedSubscription::wait(std::chrono::milliseconds idle) {
    if (!notified_ && !ended_) {
        wake_.expires_after(idle);
        error_code ec;
        co_await wake_.async_wait(net::redirect_error(use_awaitable, ec));
    }
    if (ended_) co_return Wake::Ended;
    if (notified_) {
        notified_ = false;
        co_return Wake::Ready;
    }
    co_return Wake::Idle;
}

net::awaitable<bool> FeedSubscription::pause(std::chrono::microseconds pause) {
    const auto until = std::chrono::steady_clock::now() + pause;
    while (!ended_ && std::chrono::steady_clock::now() < until) {
        wake_.expires_at(until);
        error_code ec;
        co_await wake_.async_wait(net::redirect_error(use_awaitable, ec));  // a notify cancels it: wait on
    }
    co_return !ended_;
}

FramePtr FeedSubscription::take_picture() { return hub_->take_picture(*this); }
TileMessagePtr FeedSubscription::take_tiles() { return hub_->take_tiles(*this); }
void FeedSubscription::request_key_frame() { hub_->request_key_frame(*this); }

void FeedSubscription::notify() {
    net::post(strand_, [self = shared_from_this()] {
        // Still busy with (or pausing after) the last change: this one will be skipped, merged into the next.
        if (self->notified_) self->metrics_.frames_dropped[static_cast<int>(self->transport_)].add();
        self->notified_ = true;
        self->wake_.cancel();
    });
}

void FeedSubscription::end() {
    net::post(strand_, [self = shared_from_this()] {
        self->ended_ = true;
        self->wake_.cancel();
    });
}

bool FrameHub::open(const std::string& task_id) {
    std::vector<std::shared_ptr<FeedSubscription>> ended;
    {
        std::lock_guard lock(mutex_);
        if (task_id_ == task_id) return false;
        if (!task_id_.empty()) close_locked(ended);
        task_id_ = task_id;
    }
    for (auto& s : ended) s->end();
    return true;
}

void FrameHub::close() {
    std::vector<std::shared_ptr<FeedSubscription>> ended;
    {
        std::lock_guard lock(mutex_);
        close_locked(ended);
    }
    for (auto& s : ended) s->end();
}

void FrameHub::close_locked(std::vector<std::shared_ptr<FeedSubscription>>& ended) {
    for (auto& weak : subscribers_)
        if (auto s = weak.lock()) ended.push_back(std::move(s));
    subscribers_.clear();
    task_id_.clear();
    state_seq_ = 0;
    state_captured_at_ms_ = 0;
    latest_picture_.reset();
    latest_key_.reset();
    tiles_ = TileState{};
    deltas_.clear();
}

bool FrameHub::is_open() const {
    std::lock_guard lock(mutex_);
    return !task_id_.empty();
}

std::string FrameHub::task_id() const {
    std::lock_guard lock(mutex_);
    return task_id_;
}

void FrameHub::publish(FramePtr frame) {
    std::vector<std::shared_ptr<FeedSubscription>> targets;
    {
        std::lock_guard lock(mutex_);
        if (task_id_.empty() || frame->task_id != task_id_) return;
        if (frame->changed || frame->seq > state_seq_) {
            state_seq_ = frame->seq;
            state_captured_at_ms_ = frame->captured_at_ms;
            width_ = frame->width;
            height_ = frame->height;
            deltas_.clear();
            if (frame->key) tiles_.reset(frame->width, frame->height, frame->seq);
            else if (!frame->tiles.empty()) tiles_.apply(frame->tiles);
            else tiles_.invalidate();  // nobody wanted tiles of this change; a key frame will start them again
        }
        if (frame->has_picture() && (!latest_picture_ || frame->seq >= latest_picture_->seq)) {
            latest_picture_ = frame;
            latest_key_.reset();
            // A whole picture of the newest state is a base that deltas can start from again.
            if (frame->seq == state_seq_ && !tiles_.can_serve(state_seq_)) tiles_.reset(width_, height_, state_seq_);
        }
        targets.reserve(subscribers_.size());
        std::erase_if(subscribers_, [&](const std::weak_ptr<FeedSubscription>& weak) {
            auto s = weak.lock();
            if (!s) return true;
            targets.push_back(std::move(s));
            return false;
        });
    }
    for (auto& s : targets) s->notify();
}

std::shared_ptr<FeedSubscription> FrameHub::subscribe(net::any_io_executor strand, FeedTransport transport) {
    std::lock_guard lock(mutex_);
    if (task_id_.empty()) return nullptr;
    auto s = std::make_shared<FeedSubscription>(shared_from_this(), std::move(strand), metrics_, transport);
    subscribers_.push_back(s);
    if (wants_pictures(transport)) picture_viewers_.fetch_add(1);
    else tile_viewers_.fetch_add(1);
    s->wants_key_ = transport == FeedTransport::Tiles;
    // A viewer starts from a whole picture of the current state: ask the capture for one if the newest we have
    // is older (nobody wanted pictures of the latest changes).
    if (!latest_picture_ || latest_picture_->seq < state_seq_) key_requested_ = true;
    if (latest_picture_) s->notify();  // a new viewer sees the current picture at once, not after the next change
    return s;
}

void FrameHub::unsubscribed(FeedTransport transport) {
    if (wants_pictures(transport)) picture_viewers_.fetch_sub(1);
    else tile_viewers_.fetch_sub(1);
}

std::size_t FrameHub::subscriber_count() const {
    std::lock_guard lock(mutex_);
    return subscribers_.size();
}

CaptureDemand FrameHub::demand() {
    CaptureDemand d;
    d.pictures = picture_viewers_.load() > 0;
    d.tiles = tile_viewers_.load() > 0;
    d.key = key_requested_.exchange(false);
    return d;
}

FramePtr FrameHub::take_picture(FeedSubscription& sub) {
    std::lock_guard lock(mutex_);
    if (!latest_picture_ || latest_picture_->seq <= sub.last_seq_) return nullptr;
    sub.last_seq_ = latest_picture_->seq;
    return latest_picture_;
}

TileMessagePtr FrameHub::take_tiles(FeedSubscription& sub) {
    std::lock_guard lock(mutex_);
    if (state_seq_ == 0) return nullptr;
    if (!sub.wants_key_) {
        if (sub.last_seq_ >= state_seq_) return nullptr;
        if (tiles_.can_serve(sub.last_seq_)) {
            auto message = delta_locked(sub.last_seq_);
            // A long way behind, the merged change can outweigh the whole picture: send that instead.
            if (!(latest_picture_ && latest_picture_->seq == state_seq_ &&
                  message->bytes > latest_picture_->key_prefix.size() + latest_picture_->jpeg.size())) {
                sub.last_seq_ = state_seq_;
                return message;
            }
        }
    }
    // A key frame: the newest whole picture, plus the tiles that changed after it if it is not the newest state.
    if (!latest_picture_ || !(latest_picture_->seq == state_seq_ || tiles_.can_serve(latest_picture_->seq))) {
        sub.wants_key_ = true;
        key_requested_ = true;  // the next tick makes a picture of the current state
        return nullptr;
    }
    sub.wants_key_ = false;
    sub.last_seq_ = state_seq_;
    if (latest_picture_->seq == state_seq_) return key_locked(latest_picture_);
    // The picture as the first tile, then the delta's tiles, under one header for the newest state.
    auto delta = delta_locked(latest_picture_->seq);
    auto head = std::make_shared<const std::string>(
        state_header_locked(true, 1 + delta->tiles) +
        encode_tile_record_header(Rect{0, 0, latest_picture_->width, latest_picture_->height},
                                  latest_picture_->jpeg.size()));
    auto message = std::make_shared<TileMessage>();
    message->parts = {*head, latest_picture_->jpeg};
    message->owners = {head, latest_picture_, delta};
    message->parts.insert(message->parts.end(), delta->parts.begin() + 1, delta->parts.end());
    message->tiles = 1 + delta->tiles;
    message->key = true;
    message->seq = state_seq_;
    message->bytes = head->size() + latest_picture_->jpeg.size() + delta->bytes - delta->parts.front().size();
    return message;
}

void FrameHub::request_key_frame(FeedSubscription& sub) {
    {
        std::lock_guard lock(mutex_);
        sub.wants_key_ = true;
    }
    sub.notify();
}

// Everything that changed after state `from`, up to the newest: one message, built once and shared by every
// viewer at `from` (usually all of them are at the previous state).
TileMessagePtr FrameHub::delta_locked(std::uint64_t from) {
    for (auto& [cached_from, message] : deltas_)
        if (cached_from == from) return message;
    auto message = std::make_shared<TileMessage>();
    const std::vector<TilePtr> tiles = tiles_.since(from);
    auto head = std::make_shared<const std::string>(state_header_locked(false, tiles.size()));
    message->parts.push_back(*head);
    message->owners.push_back(head);
    message->bytes = head->size();
    for (const TilePtr& tile : tiles) {
        message->parts.push_back(tile->record);
        message->owners.push_back(tile);
        message->bytes += tile->record.size();
    }
    message->tiles = tiles.size();
    message->seq = state_seq_;
    if (deltas_.size() >= kDeltaCacheSize) deltas_.pop_front();
    deltas_.emplace_back(from, message);
    return message;
}

std::string FrameHub::state_header_locked(bool key, std::size_t tiles) const {
    TileMessageHeader header;
    header.key = key;
    header.tile_count = static_cast<std::uint16_t>(tiles);
    header.seq = static_cast<std::uint32_t>(state_seq_);
    header.width = static_cast<std::uint16_t>(width_);
    header.height = static_cast<std::uint16_t>(height_);
    header.captured_at_ms = state_captured_at_ms_;
    return encode_tile_message_header(header);
}

TileMessagePtr FrameHub::key_locked(const FramePtr& picture) {
    if (latest_key_ && picture == latest_picture_) return latest_key_;
    auto message = std::make_shared<TileMessage>();
    message->parts = {picture->key_prefix, picture->jpeg};
    message->owners = {picture};
    message->tiles = 1;
    message->key = true;
    message->seq = picture->seq;
    message->bytes = picture->key_prefix.size() + picture->jpeg.size();
    if (picture == latest_picture_) latest_key_ = message;
    return message;
}

}  // namespace redred::screen
