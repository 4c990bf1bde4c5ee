#include "actors/agents/blob_cache.h"

#include <cstring>
#include <deque>
#include <map>
#include <mutex>

namespace casm::agents {

namespace {

struct oid_less {
  bool operator()(const git_oid& a, const git_oid& b) const {
    return std::memcmp(a.id, b.id, GIT_OID_RAWSZ) < 0;
  }
};

}  // namespace

struct blob_cache::impl {
  size_t capacity;
  mutable std::mutex mu;
  std::map<git_oid, std::shared_ptr<const std::string>, oid_less> by_id;
  std::deque<git_oid> order;  // insertion order, oldest first
  size_t bytes = 0;
};

blob_cache& blob_cache::instance() {
  static blob_cache cache;
  return cache;
}

blob_cache::blob_cache(size_t capacity_bytes) : impl_(std::make_unique<impl>()) {
  impl_->capacity = capacity_bytes;
}

blob_cache::~blob_cache() = default;

void blob_cache::remember(const git_oid& id, std::string_view content) {
  if (content.size() > impl_->capacity / 4) return;
  auto value = std::make_shared<const std::string>(content);
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (impl_->by_id.count(id)) return;
  while (!impl_->order.empty() && impl_->bytes + content.size() > impl_->capacity) {
    auto oldest = impl_->by_id.find(impl_->order.front());
    impl_->bytes -= oldest->second->size();
    impl_->by_id.erase(oldest);
    impl_->order.pop_front();
  }
  impl_->by_id.emplace(id, std::move(value));
  impl_->order.push_back(id);
  impl_->bytes += content.size();
}

std::shared_ptr<const std::string> blob_cache::find(const git_oid& id) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto it = impl_->by_id.find(id);
  return it == impl_->by_id.end() ? nullptr : it->second;
}

size_t blob_cache::size_bytes() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->bytes;
}

size_t blob_cache::entries() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->by_id.size();
}

void blob_cache::clear() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->by_id.clear();
  impl_->order.clear();
  impl_->bytes = 0;
}

bool blob_bytes::load_cached(const git_oid& id) {
  if (!(cached_ = blob_cache::instance().find(id))) return false;
  view_ = *cached_;
  return true;
}

bool blob_bytes::load(git_repository* repo, const git_oid& id, std::string& error) {
  if (load_cached(id)) return true;
  if (git_blob_lookup(blob_.out(), repo, &id) != 0) {
    error = git_error_text();
    return false;
  }
  view_ = std::string_view(static_cast<const char*>(git_blob_rawcontent(blob_.get())),
                           static_cast<size_t>(git_blob_rawsize(blob_.get())));
  return true;
}

}  // namespace casm::agents
