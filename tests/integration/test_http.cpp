// The host's HTTP endpoints against a real `pylabhub run --http`: scraped
// over loopback, /metrics checked by Prometheus's own promtool, the status
// page loaded by a real (headless) Chromium.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "child_process.hpp"
#include "host_harness.hpp"

namespace pylabhub::test {
namespace {

using ::testing::HasSubstr;

/// A running pipeline with --http on a free port; its base URL read from its log.
struct Served {
    ChildProcess process;
    std::string url;
    std::string log;  ///< the lines read until the URL showed
};

Served serve(const PipelineFile& file, const std::vector<std::string>& more = {}) {
    std::vector<std::string> argv = {pylabhub_exe(), "run", file.path(), "--http", "127.0.0.1:0"};
    argv.insert(argv.end(), more.begin(), more.end());
    Served served{ChildProcess::spawn(argv), "", ""};
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    const std::regex serving("http: serving on (http://127\\.0\\.0\\.1:[0-9]+)");
    while (std::chrono::steady_clock::now() < deadline) {
        auto line = served.process.read_line(200ms);
        if (!line) continue;
        served.log += *line + "\n";
        std::smatch m;
        if (std::regex_search(*line, m, serving)) {
            served.url = m[1];
            break;
        }
    }
    EXPECT_FALSE(served.url.empty()) << served.log;
    return served;
}

httplib::Result get(const std::string& url, const std::string& path) {
    httplib::Client client(url);
    client.set_connection_timeout(10, 0);  // Prometheus's default scrape timeout
    client.set_read_timeout(5, 0);
    return client.Get(path.c_str());
}

/// GETs `path` until `ok(response)` or 15 s pass; the last response.
httplib::Result poll(const std::string& url, const std::string& path, const std::function<bool(const httplib::Response&)>& ok) {
    const auto deadline = std::chrono::steady_clock::now() + 15s;
    for (;;) {
        auto res = get(url, path);
        if ((res && ok(*res)) || std::chrono::steady_clock::now() > deadline) return res;
        std::this_thread::sleep_for(100ms);
    }
}

std::string sine_pipeline() {
    return "pipeline: http_test\nchannels:\n  @: {slots: 64, slot_bytes: 256, sync: sync_reader}\nproducers:\n"
           "  sine: {plugin: sine, channel: @, config: {channels: 2, rate_hz: 1000}}\nconsumers:\n"
           "  sink: {plugin: null, inputs: [@]}\n  rec: {plugin: recorder, inputs: [@], config: {path: RECORDING}}\n";
}

std::uint64_t sample_value(const std::string& metrics, const std::string& series) {
    std::smatch m;
    const std::string escaped = std::regex_replace(series, std::regex(R"([\{\}\.\[\]\(\)\*\+\?\^\$\|\\])"), R"(\$&)");
    if (!std::regex_search(metrics, m, std::regex("\n" + escaped + " ([0-9.e+]+)"))) return UINT64_MAX;
    return static_cast<std::uint64_t>(std::stod(m[1]));
}

TEST(Http, MetricsPassPromtoolAndTheirCountersMoveBetweenTwoScrapes) {
    PipelineFile file("http_metrics", sine_pipeline(), "http_m");
    Served s = serve(file, {"--duration", "8"});
    ASSERT_FALSE(s.url.empty());
    auto first = poll(s.url, "/metrics", [](const httplib::Response& r) { return r.status == 200; });
    ASSERT_TRUE(first) << "no answer";
    ASSERT_EQ(first->status, 200) << first->body;
    EXPECT_THAT(first->get_header_value("Content-Type"), HasSubstr("text/plain; version=0.0.4"));
    std::this_thread::sleep_for(1s);
    auto second = get(s.url, "/metrics");
    ASSERT_TRUE(second);
    const std::string written = "pylabhub_channel_slots_written_total{channel=\"" + file.channel() + "\"}";
    const std::uint64_t before = sample_value(first->body, written), after = sample_value(second->body, written);
    ASSERT_NE(before, UINT64_MAX) << first->body;
    EXPECT_GT(after, before + 500) << "about 1000 slots a second";
    EXPECT_GT(sample_value(second->body, "pylabhub_consumer_slots_read_total{component=\"rec\",channel=\"" + file.channel() + "\"}"), 0U);
    EXPECT_THAT(second->body, HasSubstr("pylabhub_consumer_latency_seconds_bucket{component=\"sink\",le=\"+Inf\"}"));
    EXPECT_THAT(second->body, HasSubstr("pylabhub_build_info{version=\""));
    EXPECT_THAT(second->body, HasSubstr("process_resident_memory_bytes "));
    EXPECT_THAT(second->body, HasSubstr("pylabhub_component_up{component=\"sine\",kind=\"producer\",plugin=\"sine\"} 1"));
    // Prometheus's own checker, on exactly what was served.
    const auto scraped = std::filesystem::temp_directory_path() / ("plh-metrics-" + std::to_string(::getpid()) + ".txt");
    std::ofstream(scraped) << second->body;
    const Outcome checked = run_program({"/bin/sh", "-c", "/usr/bin/promtool check metrics < " + scraped.string()});
    std::filesystem::remove(scraped);
    EXPECT_EQ(checked.exit_code, 0) << checked.output;
    EXPECT_EQ(s.process.wait(20s), 0);
}

TEST(Http, HealthTurns503WhenAComponentFailsAndTheStatusMatchesTheSummary) {
    PipelineFile file("http_health",
                      "pipeline: http_health\nplugin_path: " PLH_TEST_PLUGIN_DIR
                      "\nchannels:\n  @: {slots: 64, slot_bytes: 256, sync: sync_reader}\n"
                      "producers:\n  sine: {plugin: sine, channel: @, config: {channels: 2, rate_hz: 1000}}\n"
                      "consumers:\n  flaky: {plugin: fails-after, inputs: [@], config: {after: 300}}\n"
                      "  sink: {plugin: null, inputs: [@]}\n",
                      "http_h");
    Served s = serve(file, {"--duration", "4"});
    ASSERT_FALSE(s.url.empty());
    auto healthy = poll(s.url, "/healthz", [](const httplib::Response& r) { return r.body != "starting\n"; });
    ASSERT_TRUE(healthy);
    EXPECT_EQ(healthy->status, 200) << healthy->body;  // before its 300th slot
    auto failed = poll(s.url, "/healthz", [](const httplib::Response& r) { return r.status == 503; });
    ASSERT_TRUE(failed);
    EXPECT_EQ(failed->status, 503);
    EXPECT_EQ(failed->body, "failed: flaky\n");
    auto status = get(s.url, "/api/status");
    ASSERT_TRUE(status);
    const auto doc = nlohmann::json::parse(status->body);
    EXPECT_FALSE(doc["healthy"].get<bool>());
    EXPECT_EQ(doc["failed"], nlohmann::json::array({"flaky"}));
    const auto& flaky = doc["components"][1];
    ASSERT_EQ(flaky["id"], "flaky");
    EXPECT_EQ(flaky["state"], "failed");
    EXPECT_THAT(flaky["last_error"].get<std::string>(), HasSubstr("injected failure after 300 slots"));
    const std::uint64_t read_by_flaky = flaky["inputs"][0]["slots"];
    EXPECT_GE(read_by_flaky, 299U);
    EXPECT_EQ(doc["components"][0]["state"], "running");
    const std::string output = s.process.read_all(20s);
    EXPECT_EQ(s.process.wait(10s), 4) << "a component failed: " << output;
    // The summary at the end says what /api/status said while it ran: the
    // failed consumer's count stopped where it failed.
    EXPECT_THAT(output, ::testing::ContainsRegex("flaky +" + file.channel() + " +" + std::to_string(read_by_flaky) + " ")) << output;
}

TEST(Http, TheNewestSlotIsDecodedFieldByFieldAndUnknownNamesGet404) {
    PipelineFile file("http_latest", sine_pipeline(), "http_l");
    Served s = serve(file, {"--duration", "5"});
    ASSERT_FALSE(s.url.empty());
    auto latest =
        poll(s.url, "/api/channels/" + file.channel() + "/latest?last=8", [](const httplib::Response& r) { return r.status == 200; });
    ASSERT_TRUE(latest);
    ASSERT_EQ(latest->status, 200) << latest->body;
    const auto doc = nlohmann::json::parse(latest->body);
    EXPECT_EQ(doc["schema"]["name"], "pylabhub.sine");
    EXPECT_TRUE(doc["fields"]["seq"].is_number_unsigned()) << doc.dump();
    EXPECT_EQ(doc["fields"]["seq"].get<std::uint64_t>(), doc["sequence"].get<std::uint64_t>()) << "the sine's own count is the sequence";
    EXPECT_TRUE(doc["fields"]["value[1]"].is_number_float());
    ASSERT_EQ(doc["recent"].size(), 8U);
    EXPECT_EQ(doc["recent"][7]["sequence"], doc["sequence"]);
    auto missing = get(s.url, "/api/channels/no_such_channel/latest");
    ASSERT_TRUE(missing);
    EXPECT_EQ(missing->status, 404);
    EXPECT_THAT(missing->body, HasSubstr("no channel 'no_such_channel' in this pipeline"));
    auto nowhere = get(s.url, "/no/such/path");
    ASSERT_TRUE(nowhere);
    EXPECT_EQ(nowhere->status, 404);
    EXPECT_THAT(nowhere->body, HasSubstr("no such path: /no/such/path"));
    EXPECT_EQ(s.process.wait(20s), 0);
}

TEST(Http, ThePipelinesHttpKeyServesTooAndABadOneIsRefusedWithItsPlace) {
    PipelineFile file("http_yaml", "http: {listen: \"127.0.0.1:0\"}\n" + sine_pipeline(), "http_y");
    const Outcome run = pylabhub({"run", file.path(), "--duration", "1"}, 30s);
    EXPECT_EQ(run.exit_code, 0) << run.output;
    EXPECT_THAT(run.output, ::testing::ContainsRegex("http: serving on http://127\\.0\\.0\\.1:[0-9]+"));
    PipelineFile bad("http_bad", "http: {listen: \"nowhere\", port: 5}\n" + sine_pipeline(), "http_z");
    const Outcome refused = pylabhub({"validate", bad.path()});
    EXPECT_EQ(refused.exit_code, 1) << refused.output;
    EXPECT_THAT(refused.output, ::testing::ContainsRegex(":1:[0-9]+: http.listen: 'nowhere' is not HOST:PORT"));
    EXPECT_THAT(refused.output, HasSubstr("port"));
}

TEST(Http, APortInUseStopsTheStartBeforeAnythingRuns) {
    // Another program listening there (a plain socket, as most programs bind).
    const int squatter = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    ASSERT_EQ(::bind(squatter, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    ASSERT_EQ(::listen(squatter, 4), 0);
    ASSERT_EQ(::getsockname(squatter, reinterpret_cast<sockaddr*>(&address), &length), 0);
    const int port = ntohs(address.sin_port);
    PipelineFile file("http_busy", sine_pipeline(), "http_b");
    const Outcome run = pylabhub({"run", file.path(), "--http", "127.0.0.1:" + std::to_string(port), "--duration", "2"}, 30s);
    EXPECT_EQ(run.exit_code, 1) << run.output;
    EXPECT_THAT(run.output, HasSubstr("http: cannot listen on 127.0.0.1:" + std::to_string(port)));
    EXPECT_THAT(run.output, ::testing::Not(HasSubstr("broker: serving"))) << "nothing started";
    EXPECT_FALSE(std::filesystem::exists(file.recording())) << "nothing half-started";
    ::close(squatter);
}

TEST(Http, HundredsOfConcurrentScrapesAreAnsweredAndThePipelineKeepsItsRate) {
    PipelineFile file("http_load", sine_pipeline(), "http_c");
    Served s = serve(file, {"--duration", "6"});
    ASSERT_FALSE(s.url.empty());
    ASSERT_TRUE(poll(s.url, "/metrics", [](const httplib::Response& r) { return r.status == 200; }));
    // 200 at once, from 200 processes (curl, as any scraper would).
    const Outcome storm =
        run_program({"/bin/sh", "-c",
                     "seq 200 | xargs -P 200 -I{} curl -s -m 30 -o /dev/null -w '%{http_code}\\n' " + s.url + "/metrics | grep -c '^200$'"},
                    60s);
    EXPECT_EQ(storm.output, "200\n") << "every scrape answered";
    auto after = get(s.url, "/healthz");
    ASSERT_TRUE(after);
    EXPECT_EQ(after->status, 200);
    const std::string output = s.process.read_all(20s);
    EXPECT_EQ(s.process.wait(10s), 0) << output;
    EXPECT_THAT(output, ::testing::ContainsRegex(file.channel() + " +sine +[0-9]+ +9[0-9][0-9]\\.[0-9]|1000\\.[0-9]"))
        << "the producer kept about its 1000 slots a second: " << output;
}

TEST(Http, TheStatusPageInARealBrowserShowsEveryChannelAndComponentAndAMovingPlot) {
    if (::access("/usr/bin/chromium", X_OK) != 0)
        GTEST_FAIL() << "chromium is not installed: `make test` installs it (tools/debian-packages-test.txt)";
    PipelineFile file("http_page", sine_pipeline(), "http_p");
    Served s = serve(file, {"--duration", "30"});
    ASSERT_FALSE(s.url.empty());
    const auto dir = std::filesystem::temp_directory_path() / ("plh-chromium-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    // The DOM after the page has run its script for a while, twice: the plot's data must change.
    auto snapshot = [&](int ms) {
        return run_program(
            {"/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + (dir / "profile").string(),
             "--virtual-time-budget=" + std::to_string(ms), "--run-all-compositor-stages-before-draw", "--dump-dom", s.url + "/"},
            60s);
    };
    const Outcome first = snapshot(3000);
    ASSERT_EQ(first.exit_code, 0) << first.output;
    EXPECT_THAT(first.output, HasSubstr("data-channel=\"" + file.channel() + "\""));
    for (const char* id : {"sine", "sink", "rec"}) EXPECT_THAT(first.output, HasSubstr(std::string("data-component=\"") + id + "\""));
    EXPECT_THAT(first.output, HasSubstr("class=\"node channel\"")) << "the graph is drawn";
    std::smatch a, b;
    const std::regex info(R"(id="plotinfo">\s*seq ([0-9]+))");
    ASSERT_TRUE(std::regex_search(first.output, a, info)) << first.output;
    const Outcome second = snapshot(3000);
    ASSERT_TRUE(std::regex_search(second.output, b, info)) << second.output;
    EXPECT_NE(a[1], b[1]) << "the plot follows the channel";
    const Outcome shot = run_program(
        {"/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + (dir / "profile").string(),
         "--virtual-time-budget=3000", "--window-size=1280,900", "--screenshot=" + (dir / "status-page.png").string(), s.url + "/"},
        60s);
    EXPECT_TRUE(std::filesystem::exists(dir / "status-page.png")) << shot.output;
    // Kept as the test's artifact, in ctest's working directory (the build tree).
    std::error_code ignored;
    std::filesystem::copy_file(dir / "status-page.png", std::filesystem::current_path() / "status-page.png",
                               std::filesystem::copy_options::overwrite_existing, ignored);
    std::filesystem::remove_all(dir, ignored);
    s.process.signal(SIGINT);
    s.process.read_all(20s);
    EXPECT_EQ(s.process.wait(10s), 0);
}

TEST(Http, AStandaloneBrokerServesItsChannelsAndMetrics) {
    const auto dir = std::filesystem::temp_directory_path() / ("plh-broker-http-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all);
    const std::string endpoint = "ipc://" + (dir / "broker.ipc").string();
    auto broker = ChildProcess::spawn({pylabhub_exe(), "broker", "--bind", endpoint, "--http", "127.0.0.1:0"});
    std::string url, seen;
    const std::regex serving("http: serving on (http://127\\.0\\.0\\.1:[0-9]+)");
    for (auto deadline = std::chrono::steady_clock::now() + 10s; url.empty() && std::chrono::steady_clock::now() < deadline;) {
        auto line = broker.read_line(200ms);
        std::smatch m;
        if (line && std::regex_search(*line, m, serving)) url = m[1];
        if (line) seen += *line + "\n";
    }
    ASSERT_FALSE(url.empty()) << seen;
    PipelineFile file("http_broker", "broker: " + endpoint + "\n" + sine_pipeline(), "http_k");
    auto running = ChildProcess::spawn({pylabhub_exe(), "run", file.path(), "--duration", "5"});
    auto status = poll(url, "/api/status",
                       [](const httplib::Response& r) { return r.status == 200 && nlohmann::json::parse(r.body)["channels"].size() == 1; });
    ASSERT_TRUE(status);
    const auto doc = nlohmann::json::parse(status->body);
    ASSERT_EQ(doc["channels"].size(), 1U) << status->body;
    EXPECT_EQ(doc["channels"][0]["channel"], file.channel());
    EXPECT_EQ(doc["channels"][0]["consumers"].size(), 2U);
    EXPECT_THAT(status->body, ::testing::Not(HasSubstr("secret"))) << "the attach secret stays in the broker";
    auto health = get(url, "/healthz");
    ASSERT_TRUE(health);
    EXPECT_EQ(health->status, 200);
    auto metrics = get(url, "/metrics");
    ASSERT_TRUE(metrics);
    EXPECT_THAT(metrics->body, HasSubstr("pylabhub_broker_channels{endpoint=\"" + endpoint + "\"} 1"));
    const auto scraped = dir / "metrics.txt";
    std::ofstream(scraped) << metrics->body;
    const Outcome checked = run_program({"/bin/sh", "-c", "/usr/bin/promtool check metrics < " + scraped.string()});
    EXPECT_EQ(checked.exit_code, 0) << checked.output;
    EXPECT_EQ(running.wait(30s), 0);
    broker.signal(SIGINT);
    broker.read_all(10s);
    EXPECT_EQ(broker.wait(10s), 0);
    std::filesystem::remove_all(dir);
}

TEST(Top, UnderTmuxShowsAChannelWithItsRateAndQuitsOnQ) {
    PipelineFile file("top_live", sine_pipeline(), "top_a");
    Served s = serve(file, {"--duration", "20"});
    ASSERT_FALSE(s.url.empty());
    std::string broker;
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    const std::regex embedded("a broker at (ipc://\\S+)");
    while (broker.empty() && std::chrono::steady_clock::now() < deadline) {
        auto line = s.process.read_line(200ms);
        std::smatch m;
        if (line && std::regex_search(*line, m, embedded)) broker = m[1];
    }
    ASSERT_FALSE(broker.empty());
    const std::string socket = "plh-top-" + std::to_string(::getpid());
    auto tmux = [&](const std::vector<std::string>& args) {
        std::vector<std::string> argv = {"/usr/bin/tmux", "-L", socket};
        argv.insert(argv.end(), args.begin(), args.end());
        return run_program(argv, 20s);
    };
    ASSERT_EQ(tmux({"new-session", "-d", "-x", "160", "-y", "30", pylabhub_exe() + " top --broker " + broker}).exit_code, 0);
    std::string screen;
    const std::regex live(file.channel() + " +(9[0-9][0-9]|1[0-9][0-9][0-9])\\.[0-9] ");
    for (int i = 0; i < 50 && !std::regex_search(screen, live); ++i) {
        std::this_thread::sleep_for(200ms);
        screen = tmux({"capture-pane", "-p"}).output;
    }
    EXPECT_TRUE(std::regex_search(screen, live)) << "the channel at about 1000 slots/s:\n" << screen;
    EXPECT_THAT(screen, HasSubstr("pylabhub.sine 1.0.0"));
    tmux({"send-keys", "q"});
    bool gone = false;
    for (int i = 0; i < 30 && !gone; ++i) {
        std::this_thread::sleep_for(100ms);
        gone = tmux({"has-session"}).exit_code != 0;  // top quit, and its session with it
    }
    EXPECT_TRUE(gone) << "q quits";
    tmux({"kill-server"});
    s.process.signal(SIGINT);
    s.process.read_all(20s);
    EXPECT_EQ(s.process.wait(10s), 0);
}

}  // namespace
}  // namespace pylabhub::test
