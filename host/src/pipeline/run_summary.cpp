#include "pipeline/run_summary.hpp"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <ostream>
#include <sstream>

#include "text/terminal.hpp"
#include "text/text_table.hpp"

namespace pylabhub::host {
namespace {

std::string micros(double ns) {
    std::ostringstream text;
    text << std::fixed << std::setprecision(ns < 10'000 ? 1 : 0) << ns / 1000.0 << " us";
    return text.str();
}

double percentile(std::vector<std::uint32_t>& values, double p) {
    if (values.empty()) return 0;
    const auto index = static_cast<std::size_t>(std::min<double>(values.size() - 1, std::floor(p * double(values.size()))));
    std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(index), values.end());
    return values[index];
}

double seconds(std::uint64_t start, std::uint64_t end) { return end > start ? double(end - start) * 1e-9 : 0.0; }

std::string number(double value, int precision) {
    std::ostringstream text;
    text << std::fixed << std::setprecision(precision) << value;
    return text.str();
}

/// "(transport in)" after a transport's id, so the tables say what it is.
std::string label(const ComponentRuntime& c, const char* direction) {
    return c.plan->spec->id + (std::string(c.kind) == "transport" ? std::string(" (transport ") + direction + ")" : "");
}

/// "ok", "FAILED", with "(N restarts)" after on_failure: restart.
std::string status(ComponentRuntime& c, const std::string& fine) {
    std::string text = c.failed().empty() ? fine : "FAILED";
    if (c.restarts > 0) text += " (" + std::to_string(c.restarts) + (c.restarts == 1 ? " restart)" : " restarts)");
    return text;
}

}  // namespace

void print_summary(std::ostream& out, const RunSummary& run) {
    // "ran" is the time the components ran; set-up and stop are said
    // apart, so a slow start (a thousand channels) is not hidden.
    out << "pipeline " << terminal_safe(run.pipeline) << ": ran " << std::fixed << std::setprecision(2) << run.run << " s (set-up "
        << run.set_up << " s, stop " << run.stop << " s), stopped: " << run.reason << "\n\n";
    using Align = TextTable::Align;
    TextTable channels({{"CHANNEL"},
                        {"PRODUCER"},
                        {"WRITTEN", Align::right},
                        {"RATE/s", Align::right},
                        {"FULL-WAITS", Align::right},
                        {"CHECKSUM", Align::right},
                        {"STATUS"}});
    auto add_channel = [&](const ChannelRuntime& channel, const std::string& writer, const ComponentRuntime& c, std::uint64_t waits,
                           bool ended) {
        const auto& m = channel.final_metrics;
        const std::uint64_t written = m.slots_written - channel.written_before;
        const double secs = seconds(c.start_ns, c.end_ns);
        channels.add({channel.plan->spec->name, writer, std::to_string(written), number(secs > 0 ? double(written) / secs : 0.0, 1),
                      std::to_string(waits), std::to_string(m.checksum_failures),
                      status(const_cast<ComponentRuntime&>(c), ended ? "ended" : "ok")});
    };
    for (ProducerRuntime* p : run.writers) add_channel(*p->channel, label(*p, "in"), *p, p->backpressure_waits, p->ended);
    for (ProcessorRuntime* p : run.processors)
        add_channel(*p->output, p->plan->spec->id + " (processor)", *p, p->backpressure_waits, false);
    if (!run.writers.empty() || !run.processors.empty()) channels.print(out);
    TextTable consumers({{"CONSUMER"},
                         {"INPUT"},
                         {"READ", Align::right},
                         {"RATE/s", Align::right},
                         {"GAPS", Align::right},
                         {"CORRUPT", Align::right},
                         {"LAT p50", Align::right},
                         {"LAT p99", Align::right},
                         {"STATUS"}});
    for (ConsumerRuntime* c : run.readers) {
        const double secs = seconds(c->start_ns, c->end_ns);
        const double p50 = percentile(c->latencies_ns, 0.50);
        const double p99 = percentile(c->latencies_ns, 0.99);
        const std::string state = status(*c, "ok");
        for (std::size_t i = 0; i < c->inputs.size(); ++i) {
            const InputStats& s = c->stats[i];
            std::string input = c->inputs[i]->plan->spec->name;
            if (const auto* policy = c->plan->inputs.at(i).policy) input += " (read: " + policy->id + ")";
            consumers.add({i == 0 ? label(*c, "out") : "", input, std::to_string(s.slots),
                           number(secs > 0 ? double(s.slots) / secs : 0.0, 1), std::to_string(s.gaps), std::to_string(s.corrupt),
                           i == 0 ? micros(p50) : "", i == 0 ? micros(p99) : "", i == 0 ? state : ""});
        }
    }
    if (!run.readers.empty()) {
        if (!run.writers.empty() || !run.processors.empty()) out << "\n";
        consumers.print(out);
    }
    for (ComponentRuntime* component : run.all) {
        for (const auto& [name, value] : counters_of(*component)) {
            out << "    " << component->plan->spec->id << "." << name << " = " << value << "\n";
        }
    }
}

std::map<std::string, std::uint64_t> counters_of(ComponentRuntime& component) {
    std::map<std::string, std::uint64_t> counters;
    if (component.instance) counters = component.instance->metrics();
    if (auto* in = dynamic_cast<InboundRuntime*>(&component)) {
        counters["gaps"] = in->gaps;
        counters["stream_changes"] = in->stream_changes;
        counters["already_here"] = in->already_here;
    } else if (auto* out = dynamic_cast<OutboundRuntime*>(&component)) {
        counters["credit_waits"] = out->credit_waits;
    }
    return counters;
}

}  // namespace pylabhub::host
