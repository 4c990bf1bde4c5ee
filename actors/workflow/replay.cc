#include "actors/workflow/replay.h"

#include <algorithm>
#include <cstring>
#include <exception>
#include <memory>
#include <optional>
#include <type_traits>

#include "messages/codec/json_text.h"
#include "messages/data/vocabulary.h"

namespace casm::workflow {

using messages::event_type;
using nlohmann::json;

// An input decoded from its payload's canonical text without a DOM
// (messages::json_read_text), ready for the engine.
struct decoded_input {
  virtual ~decoded_input() = default;
  // The call id a reply answers; nullptr for an unsolicited input.
  virtual const std::string* call_id() const = 0;
  // Hands the input to the engine, once: it may take the decoded contents.
  virtual std::vector<output> feed(workflow_engine& engine) = 0;
};

// An input the coordinator accepts: a reply to one of its requests, or an
// unsolicited input such as the run's start.
struct input_route {
  const char* input_type;    // the input record's type
  const char* request_type;  // the request it answers; nullptr if unsolicited
  // The call id if `o` is this route's request, else nullptr.
  const std::string* (*call_id_of)(const output& o);
  // Decodes the input and hands it to the engine. Returns why the payload
  // cannot be decoded, or "" once the engine has taken it.
  std::string (*feed)(workflow_engine& engine, const json& payload, std::vector<output>& out);
  // The same input straight from the payload's text; nullptr when the text
  // takes a path the fast reader leaves to nlohmann (then `feed` decodes it).
  std::unique_ptr<decoded_input> (*decode)(std::string_view text);
};

namespace {

using route = input_route;

template <class Input, class Handler>
std::string decode_and_feed(const json& payload, std::vector<output>& out, Handler&& handle) {
  Input input;
  try {
    from_json(payload, input);
  } catch (const std::exception& e) {
    return e.what();
  }
  out = handle(input);
  return {};
}

template <class Reply>
struct decoded_reply final : decoded_input {
  Reply value;
  const std::string* call_id() const override { return &value.call_id; }
  std::vector<output> feed(workflow_engine& engine) override {
    return engine.on_reply(std::move(value));
  }
};

template <class Input, std::vector<output> (workflow_engine::*Handler)(const Input&)>
struct decoded_delivery final : decoded_input {
  Input value;
  const std::string* call_id() const override { return nullptr; }
  std::vector<output> feed(workflow_engine& engine) override {
    return (engine.*Handler)(value);
  }
};

template <class Decoded>
std::unique_ptr<decoded_input> decode_text(std::string_view text) {
  auto d = std::make_unique<Decoded>();
  if (!messages::json_read_text(text, d->value)) return nullptr;
  return d;
}

// A reply: fed to the engine's on_reply once its request was matched.
template <class Request, class Reply>
route answer() {
  return {event_type<Reply>::value, event_type<Request>::value,
          [](const output& o) -> const std::string* {
            const auto* r = std::get_if<Request>(&o);
            return r ? &r->call_id : nullptr;
          },
          [](workflow_engine& engine, const json& payload, std::vector<output>& out) {
            return decode_and_feed<Reply>(payload, out,
                                          [&](const Reply& r) { return engine.on_reply(r); });
          },
          &decode_text<decoded_reply<Reply>>};
}

// An unsolicited input recorded as `type`, fed to `Handler`.
template <class Input, std::vector<output> (workflow_engine::*Handler)(const Input&)>
route deliver(const char* type) {
  return {type, nullptr, nullptr,
          [](workflow_engine& engine, const json& payload, std::vector<output>& out) {
            return decode_and_feed<Input>(payload, out,
                                          [&](const Input& in) { return (engine.*Handler)(in); });
          },
          &decode_text<decoded_delivery<Input, Handler>>};
}

// Every input of the coordinator. A new request/reply pair, or a new
// unsolicited input, is one line here.
const route routes[] = {
  deliver<run_start, &workflow_engine::start>(event_type<run_start>::value),
  deliver<approval_decision, &workflow_engine::on_decision>("approval.granted"),
  deliver<approval_decision, &workflow_engine::on_decision>("approval.denied"),
  answer<ingest_request, ingest_result>(),
  answer<review_request, review_result>(),
  answer<gate_request, gate_result>(),
  answer<fix_request, fix_result>(),
  answer<validate_request, validate_result>(),
  answer<report_request, report_result>(),
  answer<route_request, route_result>(),
  answer<model_call, model_reply>(),
  answer<settle_request, settle_result>(),
};

const route* route_for_input(const std::string& type) {
  for (const auto& r : routes)
    if (type == r.input_type) return &r;
  return nullptr;
}

const char* type_of(const output& o) {
  return std::visit([](const auto& m) { return event_type<std::decay_t<decltype(m)>>::value; }, o);
}

json payload_of(const output& o) {
  return std::visit([](const auto& m) { return json(m); }, o);
}

// The canonical text of an emitted message, written without a DOM into a
// buffer of the thread's, reused from message to message and run to run
// (valid until the next call).
const std::string& text_of(const output& o) {
  thread_local std::string out;
  out.clear();
  std::visit([](const auto& m) { messages::json_write_value(out, m); }, o);
  return out;
}

json message(const std::string& type, const json& payload) {
  return json{{"type", type}, {"payload", payload}};
}

const std::string& string_field(const json& record, const char* key) {
  static const std::string none;
  auto it = record.find(key);
  return it != record.end() && it->is_string() ? it->get_ref<const std::string&>() : none;
}

}  // namespace

// A recorded payload: parsed already, or its canonical text, parsed only
// when a field is needed (an input, or an output that does not match).
class replayer::payload {
public:
  explicit payload(const json& parsed) : parsed_(&parsed) {}
  explicit payload(std::string_view text) : text_(text) {}

  // The canonical text, when this payload was given as text.
  const std::string_view* text() const { return parsed_ ? nullptr : &text_; }

  const json& get() const {
    if (parsed_) return *parsed_;
    if (!cache_) cache_ = json::parse(text_, nullptr, /*allow_exceptions=*/false);
    return *cache_;
  }

  // Canonical JSON equality with what the replayed coordinator emitted (its
  // canonical text). The log holds nlohmann's canonical dump, so equal text
  // is the fast path; a text that differs is still compared by value before
  // it counts.
  bool equals(const std::string& emitted) const {
    if (!parsed_ && emitted == text_) return true;
    return get() == json::parse(emitted, nullptr, /*allow_exceptions=*/false);
  }

private:
  const json* parsed_ = nullptr;
  std::string_view text_;
  mutable std::optional<json> cache_;
};

bool replayer::diverge(uint64_t seq, std::string type, std::string reason, json expected,
                       json actual) {
  replay_divergence d;
  d.seq = seq;
  d.type = std::move(type);
  d.reason = std::move(reason);
  d.diff = codec::json_diff(expected, actual);
  d.expected = std::move(expected);
  d.actual = std::move(actual);
  result_.divergence = std::move(d);
  return false;
}

void replayer::reject(uint64_t seq, std::string type, std::string reason, json recorded_payload) {
  if (result_.divergence) return;
  ++result_.records;
  result_.last_seq = seq;
  json expected = message(type, recorded_payload);
  diverge(seq, std::move(type), std::move(reason), std::move(expected), nullptr);
}

bool replayer::feed(const json& record) {
  if (result_.divergence) return false;
  static const json no_payload;
  auto s = record.find("seq");
  const uint64_t seq = s != record.end() && s->is_number_unsigned() ? s->get<uint64_t>() : 0;
  auto p = record.find("payload");
  return on_record(seq, string_field(record, "kind"), string_field(record, "type"),
                   payload(p != record.end() ? *p : no_payload));
}

bool replayer::feed(uint64_t seq, std::string_view kind, std::string_view type,
                    std::string_view text) {
  if (result_.divergence) return false;
  return on_record(seq, kind, std::string(type), payload(text));
}

bool replayer::on_record(uint64_t seq, std::string_view kind, const std::string& type,
                         const payload& p) {
  ++result_.records;
  result_.last_seq = seq;
  if (kind == messages::event_kind::meta) {
    // config.pinned is the caller's to check; other meta records say nothing
    // the coordinator heard or said.
    return type == "run.aborted" ? on_aborted(seq, p) : true;
  }
  if (result_.complete)
    return diverge(seq, type,
                   "the log records " + type + " after the run " +
                     (result_.aborted ? "aborted" : "completed"),
                   message(type, p.get()), nullptr);
  if (kind == messages::event_kind::input) return on_input(seq, type, p);
  if (kind == messages::event_kind::output) return on_output(seq, type, p);
  return diverge(seq, type,
                 "the record's kind '" + std::string(kind) + "' is none of meta, input, output",
                 message(type, p.get()), nullptr);
}

void replayer::emit(std::vector<output> outs) {
  for (auto& o : outs) emitted_.push_back(std::move(o));
}

bool replayer::on_input(uint64_t seq, const std::string& type, const payload& p) {
  const bool is_start = type == event_type<run_start>::value;
  if (is_start && result_.started)
    return diverge(seq, type, "the log starts the run a second time", message(type, p.get()),
                   nullptr);
  if (!is_start && !result_.started)
    return diverge(seq, type, "the log delivers " + type + " before run.started",
                   message(type, p.get()), nullptr);
  const route* r = route_for_input(type);
  if (!r)
    return diverge(seq, type,
                   "the log delivers " + type + ", which this build's coordinator does not accept",
                   message(type, p.get()), nullptr);
  // The fast path: the payload's text read straight into the input. Null
  // when it was given parsed, or takes a path left to nlohmann below.
  const std::unique_ptr<decoded_input> in = p.text() ? r->decode(*p.text()) : nullptr;
  if (r->request_type) {
    std::string call_id;
    if (in) {
      call_id = *in->call_id();
    } else if (const json& payload = p.get(); payload.is_object()) {
      call_id = codec::get_bytes(payload, "call_id");
    }
    auto it = awaiting_.find(call_id);
    if (it == awaiting_.end()) {
      const bool queued = std::any_of(emitted_.begin(), emitted_.end(), [&](const output& o) {
        const std::string* id = r->call_id_of(o);
        return id && *id == call_id;
      });
      return diverge(seq, type,
                     "the log delivers " + type + " for call " + codec::display_text(call_id) +
                       (queued ? " before the request it answers was recorded"
                               : ", which the replayed coordinator has not requested"),
                     message(type, p.get()), nullptr);
    }
    if (it->second != r)
      return diverge(seq, type,
                     "call " + codec::display_text(call_id) + " is a " +
                       it->second->request_type + ", but the log answers it with " + type,
                     message(type, p.get()), nullptr);
    awaiting_.erase(it);
  }
  result_.started = true;
  // A coordinator that threw is gone: like the live one, it hears nothing more.
  if (!engine_error_.empty()) return true;
  std::vector<output> outs;
  try {
    if (in) {
      outs = in->feed(engine_);
    } else if (auto why = r->feed(engine_, p.get(), outs); !why.empty()) {
      return diverge(seq, type, "the payload of " + type + " cannot be decoded: " + why,
                     message(type, p.get()), nullptr);
    }
  } catch (const std::exception& e) {
    engine_error_ = e.what();
    return true;
  }
  emit(std::move(outs));
  return true;
}

bool replayer::on_output(uint64_t seq, const std::string& type, const payload& p) {
  if (!result_.started)
    return diverge(seq, type, "the log records " + type + " before run.started",
                   message(type, p.get()), nullptr);
  if (emitted_.empty())
    return diverge(seq, type,
                   "the log records " + type + " here, but the replayed coordinator " +
                     (engine_error_.empty()
                        ? "emitted nothing"
                        : "stopped: it threw '" + codec::display_text(engine_error_) + "'"),
                   message(type, p.get()), nullptr);
  const output& next = emitted_.front();
  const char* next_type = type_of(next);
  if (type != next_type || !p.equals(text_of(next))) {
    json actual = payload_of(next);
    std::string why = type != next_type ? "the log records " + type +
                                            " here, but the replayed coordinator emitted " +
                                            next_type
                                        : "the replayed coordinator emitted a different " + type;
    return diverge(seq, type, std::move(why), message(type, p.get()),
                   message(next_type, actual));
  }
  for (const auto& r : routes)
    if (const std::string* id = r.call_id_of ? r.call_id_of(next) : nullptr) {
      awaiting_[*id] = &r;
      break;
    }
  if (std::holds_alternative<run_outcome>(next)) result_.complete = true;
  result_.last_output = next_type;
  emitted_.pop_front();
  return true;
}

bool replayer::on_aborted(uint64_t seq, const payload& p) {
  // The recorded coordinator died. If the replayed one still has something
  // to say here, the two did not die at the same place.
  if (!result_.complete && !emitted_.empty()) {
    const output& next = emitted_.front();
    return diverge(seq, "run.aborted",
                   std::string("the recorded coordinator stopped here (run.aborted), but the "
                               "replayed one emitted ") +
                     type_of(next),
                   message("run.aborted", p.get()), message(type_of(next), payload_of(next)));
  }
  result_.complete = true;
  result_.aborted = true;
  return true;
}

const replay_result& replayer::finish() {
  if (!result_.divergence && result_.complete && !emitted_.empty()) {
    const output& next = emitted_.front();
    diverge(result_.last_seq + 1, type_of(next),
            "the recorded run ended at seq " + std::to_string(result_.last_seq) +
              ", but the replayed coordinator emitted more",
            nullptr, message(type_of(next), payload_of(next)));
  }
  return result_;
}

}  // namespace casm::workflow
