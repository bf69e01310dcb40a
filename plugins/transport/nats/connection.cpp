#include "connection.hpp"

#include <cctype>
#include <ctime>
#include <fstream>
#include <sstream>
#include <thread>

#include <unistd.h>

namespace plh_nats {

using pylabhub::sdk::ConfigError;
using pylabhub::sdk::PluginError;

namespace {

std::vector<std::string> split_urls(const std::string& text) {
    std::vector<std::string> urls;
    std::stringstream in(text);
    for (std::string url; std::getline(in, url, ',');) {
        while (!url.empty() && std::isspace(static_cast<unsigned char>(url.front()))) url.erase(url.begin());
        while (!url.empty() && std::isspace(static_cast<unsigned char>(url.back()))) url.pop_back();
        if (!url.empty()) urls.push_back(url);
    }
    return urls;
}

/// A secret from a file: its first line, without the line end.
std::string secret_from(const std::string& option, const std::string& file) {
    if (file.empty()) return {};
    std::ifstream in(file);
    std::string line;
    if (!in || !std::getline(in, line)) throw ConfigError(option + ": " + file + " cannot be read");
    while (!line.empty() && (line.back() == '\r' || std::isspace(static_cast<unsigned char>(line.back())))) line.pop_back();
    if (line.empty()) throw ConfigError(option + ": " + file + " is empty");
    return line;
}

bool readable(const std::string& file) { return ::access(file.c_str(), R_OK) == 0; }

/// A NATS name token (streams, consumers): letters, digits, '-' and '_'.
std::string name_token(std::string text) {
    for (char& c : text) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') c = '_';
    }
    return text;
}

bool valid_subject(const std::string& subject, bool wildcards_allowed, std::string& why) {
    if (subject.empty()) return why = "it is empty", false;
    std::stringstream in(subject);
    for (std::string token; std::getline(in, token, '.');) {
        if (token.empty()) return why = "it has an empty token (two dots, or a dot at an end)", false;
        for (char c : token) {
            if (std::isspace(static_cast<unsigned char>(c))) return why = "it has white space", false;
        }
        if ((token == "*" || token == ">") && !wildcards_allowed) {
            return why = "it has the wildcard '" + token + "': an outbound transport publishes to one subject", false;
        }
    }
    if (subject.back() == '.') return why = "it ends with a dot", false;
    return true;
}

std::int64_t seconds_in(char unit) {
    switch (unit) {
    case 's': return 1;
    case 'm': return 60;
    case 'h': return 3600;
    case 'd': return 86400;
    default: return 0;
    }
}

Start parse_start(const std::string& text) {
    Start start;
    std::stringstream in(text);
    std::string word, arg, rest;
    in >> word >> arg >> rest;
    if (word == "new" && arg.empty()) return start;
    if (word == "all" && arg.empty()) return start.from = Start::From::all, start;
    const std::string forms = "give 'new', 'all', 'sequence N' or 'time T' (T: 2026-11-30T16:00:00Z, or -10m for ten minutes ago)";
    if (word == "sequence" && !arg.empty() && rest.empty()) {
        char* end = nullptr;
        start.sequence = std::strtoull(arg.c_str(), &end, 10);
        if (*end != '\0' || arg[0] == '-') throw ConfigError("start: '" + arg + "' is not a sequence id; " + forms);
        start.from = Start::From::sequence;
        return start;
    }
    if (word == "time" && !arg.empty() && rest.empty()) {
        start.from = Start::From::time;
        if (arg[0] == '-') {
            char* end = nullptr;
            const long long amount = std::strtoll(arg.c_str() + 1, &end, 10);
            const std::int64_t unit = seconds_in(*end);
            if (unit == 0 || end[1] != '\0' || amount < 0)
                throw ConfigError("start: '" + arg + "' is not a time ago (-30s, -10m, -2h, -1d)");
            start.utc_ns = static_cast<std::int64_t>(utc_ns()) - amount * unit * 1'000'000'000LL;
            return start;
        }
        std::tm tm{};
        int year = 0, month = 0, day = 0, hour = 0, minute = 0;
        double second = 0;
        char zone = 0;
        if (std::sscanf(arg.c_str(), "%4d-%2d-%2dT%2d:%2d:%lf%c", &year, &month, &day, &hour, &minute, &second, &zone) != 7 ||
            zone != 'Z') {
            throw ConfigError("start: '" + arg + "' is not a UTC time like 2026-11-30T16:00:00Z; " + forms);
        }
        tm.tm_year = year - 1900, tm.tm_mon = month - 1, tm.tm_mday = day, tm.tm_hour = hour, tm.tm_min = minute;
        const auto whole = static_cast<std::int64_t>(second);
        tm.tm_sec = static_cast<int>(whole);
        start.utc_ns =
            static_cast<std::int64_t>(::timegm(&tm)) * 1'000'000'000LL + static_cast<std::int64_t>((second - double(whole)) * 1e9);
        return start;
    }
    throw ConfigError("start: '" + text + "' is not understood; " + forms);
}

std::string hostname() {
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) != 0) return "host";
    return name;
}

}  // namespace

std::string describe(natsStatus status, const char* what) {
    std::string text = what != nullptr && *what != '\0' ? what : natsStatus_GetText(status);
    if (status != NATS_OK && std::string(natsStatus_GetText(status)) != text) text += std::string(" (") + natsStatus_GetText(status) + ")";
    return text;
}

Settings read_settings(const pylabhub::sdk::Host& host, bool outbound) {
    Settings s;
    s.urls = split_urls(host.config_string("url"));
    if (s.urls.empty()) throw ConfigError("url: give the NATS server, e.g. nats://lab-nats:4222 (a comma-separated list for a cluster)");
    for (const auto& url : s.urls) {
        if (url.rfind("nats://", 0) != 0 && url.rfind("tls://", 0) != 0)
            throw ConfigError("url: '" + url + "' is not nats://HOST:PORT or tls://HOST:PORT");
    }
    s.subject = host.config_string("subject");
    if (std::string why; !valid_subject(s.subject, !outbound, why)) throw ConfigError("subject '" + s.subject + "': " + why);
    const std::string mode = host.config_string("mode");
    if (mode == "jetstream") s.mode = Mode::jetstream;
    else if (mode != "core")
        throw ConfigError("mode: '" + mode + "' is neither 'core' (at most once, live) nor 'jetstream' (stored, lossless)");
    s.stream = host.config_string("stream");
    if (s.stream.empty()) s.stream = "PLH_" + name_token(s.subject);
    if (s.stream != name_token(s.stream)) throw ConfigError("stream: '" + s.stream + "' may hold only letters, digits, '-' and '_'");
    s.durable = host.config_string("durable");
    if (s.durable.empty()) s.durable = name_token(hostname() + "_" + host.instance_id());
    if (s.durable != name_token(s.durable)) throw ConfigError("durable: '" + s.durable + "' may hold only letters, digits, '-' and '_'");
    s.start = parse_start(host.config_string("start"));
    if (s.start.from != Start::From::new_only && (outbound || s.mode != Mode::jetstream)) {
        throw ConfigError("start: only an inbound jetstream transport replays history (core NATS keeps none)");
    }
    s.max_age = host.config_duration("max_age");
    s.max_bytes = host.config_size("max_bytes");
    s.replicas = static_cast<int>(host.config_int("replicas"));
    s.ack_wait = host.config_duration("ack_wait");
    s.window = static_cast<std::uint64_t>(host.config_int("window"));
    s.batch_bytes = host.config_size("batch_bytes");
    s.connect_timeout = host.config_duration("connect_timeout");
    s.drain_timeout = host.config_duration("drain_timeout");
    s.user = host.config_string("user");
    s.password = secret_from("password_file", host.config_string("password_file"));
    if (!s.password.empty() && s.user.empty()) throw ConfigError("password_file needs 'user'");
    s.token = secret_from("token_file", host.config_string("token_file"));
    s.nkey_seed_file = host.config_string("nkey_seed_file");
    s.credentials_file = host.config_string("credentials_file");
    s.tls_ca = host.config_string("tls_ca");
    for (const auto* file : {&s.nkey_seed_file, &s.credentials_file, &s.tls_ca}) {
        if (!file->empty() && !readable(*file)) throw ConfigError("'" + *file + "' cannot be read");
    }
    if (!s.nkey_seed_file.empty() && host.config_string("nkey").empty())
        throw ConfigError("nkey_seed_file needs 'nkey' (the public key, U...)");
    s.tls = host.config_bool("tls") || !s.tls_ca.empty();
    return s;
}

std::string description_subject(const std::string& subject, std::uint64_t stream_id) {
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(stream_id));
    return subject + ".stream." + hex;
}

std::string message_id(std::uint64_t stream_id, std::uint64_t first_sequence, std::uint32_t part) {
    char id[64];
    std::snprintf(id, sizeof id, "%016llx-%llu-%u", static_cast<unsigned long long>(stream_id),
                  static_cast<unsigned long long>(first_sequence), part);
    return id;
}

Connection::Connection(const pylabhub::sdk::Host& host, const Settings& s, const std::string& who) : who_(who) {
    natsOptions* options = nullptr;
    if (natsOptions_Create(&options) != NATS_OK) throw PluginError(PLH_ERR_IO, "nats: cannot make connection options");
    struct Free {
        natsOptions* o;
        ~Free() { natsOptions_Destroy(o); }
    } free_options{options};
    std::vector<const char*> urls;
    for (const auto& url : s.urls) urls.push_back(url.c_str());
    std::string all_urls;
    for (const auto& url : s.urls) all_urls += (all_urls.empty() ? "" : ", ") + url;
    auto check = [&](natsStatus status, const char* what) {
        if (status != NATS_OK) throw ConfigError(std::string(what) + ": " + describe(status, nats_GetLastError(nullptr)));
    };
    check(natsOptions_SetServers(options, urls.data(), static_cast<int>(urls.size())), "url");
    check(natsOptions_SetName(options, who.c_str()), "name");
    check(natsOptions_SetNoRandomize(options, true), "url");     // the first url is the preferred server
    check(natsOptions_SetSendAsap(options, true), "send_asap");  // the transport batches; nats.c need not wait to
    check(natsOptions_SetMaxReconnect(options, -1), "reconnect");
    check(natsOptions_SetReconnectWait(options, 250), "reconnect");
    check(natsOptions_SetReconnectJitter(options, 100, 1000), "reconnect");
    check(natsOptions_SetPingInterval(options, 1000), "ping");
    check(natsOptions_SetMaxPingsOut(options, 3), "ping");
    check(natsOptions_SetTimeout(options, 2000), "timeout");
    check(natsOptions_SetDisconnectedCB(options, &Connection::on_disconnected, this), "callbacks");
    check(natsOptions_SetReconnectedCB(options, &Connection::on_reconnected, this), "callbacks");
    check(natsOptions_SetErrorHandler(options, &Connection::on_error, this), "callbacks");
    check(natsOptions_SetClosedCB(options, &Connection::on_closed, this), "callbacks");
    if (!s.user.empty()) check(natsOptions_SetUserInfo(options, s.user.c_str(), s.password.c_str()), "user");
    if (!s.token.empty()) check(natsOptions_SetToken(options, s.token.c_str()), "token_file");
    if (!s.credentials_file.empty())
        check(natsOptions_SetUserCredentialsFromFiles(options, s.credentials_file.c_str(), nullptr), "credentials_file");
    if (!s.nkey_seed_file.empty()) {
        check(natsOptions_SetNKeyFromSeed(options, host.config_string("nkey").c_str(), s.nkey_seed_file.c_str()), "nkey_seed_file");
    }
    if (s.tls) check(natsOptions_SetSecure(options, true), "tls");
    if (!s.tls_ca.empty()) check(natsOptions_LoadCATrustedCertificates(options, s.tls_ca.c_str()), "tls_ca");

    const std::uint64_t deadline = now_ns() + static_cast<std::uint64_t>(s.connect_timeout.count());
    for (int attempt = 1;; ++attempt) {
        const natsStatus status = natsConnection_Connect(&nc_, options);
        if (status == NATS_OK) break;
        const std::string said = describe(status, nats_GetLastError(nullptr));
        const bool refused = status == NATS_CONNECTION_AUTH_FAILED || status == NATS_NOT_PERMITTED || status == NATS_SSL_ERROR ||
            said.find("uthorization") != std::string::npos;
        if (refused) throw PluginError(PLH_ERR_CONFIG, "the NATS server at " + all_urls + " refused the login: " + said);
        if (now_ns() >= deadline || host.stop_requested()) {
            throw PluginError(PLH_ERR_IO,
                              "no NATS server answers at " + all_urls + " (" + std::to_string(attempt) + " attempts in connect_timeout " +
                                  std::to_string(s.connect_timeout.count() / 1'000'000) + " ms): " + said);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
}

Connection::~Connection() { close(); }

void Connection::close() {
    if (js_ != nullptr) jsCtx_Destroy(js_);
    js_ = nullptr;
    if (nc_ != nullptr) {
        natsConnection_FlushTimeout(nc_, 1000);
        natsConnection_Close(nc_);
        std::unique_lock lock(closed_mutex_);
        closed_signal_.wait_for(lock, std::chrono::seconds(5), [this] { return closed_; });
        lock.unlock();
        natsConnection_Destroy(nc_);
    }
    nc_ = nullptr;
}

std::size_t Connection::max_payload() const {
    const int64_t payload = natsConnection_GetMaxPayload(nc_);
    return payload > 0 ? static_cast<std::size_t>(payload) : std::size_t{1} << 20;
}

std::string Connection::server() const {
    char url[256] = {};
    if (natsConnection_GetConnectedUrl(nc_, url, sizeof url) != NATS_OK || url[0] == '\0') return "(not connected)";
    return url;
}

jsCtx* Connection::jetstream(const jsOptions* options) {
    if (js_ != nullptr) return js_;
    jsOptions copy;
    if (options != nullptr) copy = *options;
    else jsOptions_Init(&copy);
    if (const natsStatus status = natsConnection_JetStream(&js_, nc_, &copy); status != NATS_OK) {
        throw PluginError(PLH_ERR_IO, "JetStream at " + server() + ": " + describe(status, nats_GetLastError(nullptr)));
    }
    return js_;
}

void Connection::report(const pylabhub::sdk::Host& host, Counters& counters) {
    const std::uint64_t disconnects = disconnects_.load(), reconnects = reconnects_.load(), slow = slow_consumer_.load();
    if (disconnects != reported_disconnects_) {
        counters.add("disconnects", disconnects - reported_disconnects_);
        host.warn(who_ + ": lost the NATS server; reconnecting (nats.c retries every 250 ms, with jitter)");
        reported_disconnects_ = disconnects;
    }
    if (reconnects != reported_reconnects_) {
        counters.add("reconnects", reconnects - reported_reconnects_);
        host.info(who_ + ": reconnected to " + server());
        reported_reconnects_ = reconnects;
    }
    if (slow != reported_slow_) {
        counters.add("slow_consumer_events", slow - reported_slow_);
        host.warn(who_ + ": slow consumer: the client dropped messages it could not hand over in time (the gaps show)");
        reported_slow_ = slow;
    }
}

void Connection::on_closed(natsConnection*, void* self) {
    auto* connection = static_cast<Connection*>(self);
    std::lock_guard lock(connection->closed_mutex_);
    connection->closed_ = true;
    connection->closed_signal_.notify_all();
}

void Connection::on_disconnected(natsConnection*, void* self) { ++static_cast<Connection*>(self)->disconnects_; }
void Connection::on_reconnected(natsConnection*, void* self) { ++static_cast<Connection*>(self)->reconnects_; }
void Connection::on_error(natsConnection*, natsSubscription*, natsStatus status, void* self) {
    if (status == NATS_SLOW_CONSUMER) ++static_cast<Connection*>(self)->slow_consumer_;
    else ++static_cast<Connection*>(self)->errors_;
}

}  // namespace plh_nats
