// python: a producer or consumer written in Python (docs/python.md).
//
//   producers:
//     thermo: {plugin: python, channel: temps,
//              config: {module: thermocouple, class: Thermocouple, path: ./instruments, settings: {port: /dev/ttyUSB0}}}
//
// The class gets its settings as a dict; a producer's `fill(slot)` writes a
// numpy view of the slot in place, a consumer's `consume(array, info)` reads
// one. Its `dtype` is its schema. An exception becomes the component's
// error, with the traceback.
#include <pybind11/pybind11.h>
#include <pylabhub/sdk/pacer.hpp>
#include <pylabhub/sdk/plugin.hpp>

#include "python_class.hpp"

namespace {

namespace py = pybind11;
namespace sdk = pylabhub::sdk;
using pylabhub::python_plugin::PythonClass;

class PythonProducer final : public sdk::Producer {
public:
    static constexpr sdk::PluginInfo info{"python", "1.0.0", "a producer written in Python: a class whose fill(slot) writes a numpy view"};
    static constexpr plh_config_entry config[] = {
        PYLABHUB_PYTHON_CLASS_CONFIG,
        sdk::real("rate_hz", "0", "slots per second; 0: as fast as the ring allows (pace in wait_next or fill)", 0, 1e9),
        sdk::integer("count", "0", "slots to write before ending the stream; 0 for no end", 0, 9.0e18),
    };

    explicit PythonProducer(sdk::Host host)
        : Producer(host),
          class_(host),
          pacer_(host, host.config_float("rate_hz")),
          count_(static_cast<std::uint64_t>(host.config_int("count"))) {
        if (class_.blds()) host.declare_schema(class_.schema_name().c_str(), class_.schema_version().c_str(), *class_.blds());
        py::gil_scoped_acquire gil;
        if (!class_.has("fill")) throw sdk::ConfigError(class_.name() + " has no fill(slot) method: a producer class needs one");
        has_wait_ = class_.has("wait_next");
    }

    WaitResult wait_next(std::chrono::nanoseconds timeout) override {
        if (count_ != 0 && written_ >= count_) return WaitResult::end_of_stream;
        if (const WaitResult paced = pacer_.wait(timeout); paced != WaitResult::ready) return paced;
        if (!has_wait_) return WaitResult::ready;
        py::gil_scoped_acquire gil;
        try {
            const bool ready = class_.instance().attr("wait_next")(static_cast<double>(timeout.count()) / 1e9).cast<bool>();
            return ready ? WaitResult::ready : WaitResult::not_yet;
        } catch (const py::error_already_set& e) {
            if (e.matches(PyExc_StopIteration)) return WaitResult::end_of_stream;
            class_.fail("wait_next", e);
        }
    }

    std::size_t fill(std::span<std::byte> slot) override {
        py::gil_scoped_acquire gil;
        py::object view = class_.view(slot, true, class_.dtype(), written_, class_.dtype().is_none() ? 0 : 1);
        py::object returned;
        try {
            returned = class_.call("fill", view.attr("array"));
        } catch (...) {
            PythonClass::end_view(view);
            throw;
        }
        const std::size_t whole = view.attr("array").attr("nbytes").cast<std::size_t>();
        PythonClass::end_view(view);
        std::size_t bytes = whole;
        if (!returned.is_none()) {
            if (!py::isinstance<py::int_>(returned)) {
                throw sdk::PluginError(PLH_ERR_INVALID,
                                       class_.name() + ".fill returned " + std::string(py::repr(returned)) +
                                           ": return the bytes written (an int) or None for the whole record(s)");
            }
            const auto n = returned.cast<long long>();
            if (n < 0 || static_cast<unsigned long long>(n) > slot.size()) {
                throw sdk::PluginError(
                    PLH_ERR_INVALID,
                    class_.name() + ".fill returned " + std::to_string(n) + " bytes; the slot holds " + std::to_string(slot.size()));
            }
            bytes = static_cast<std::size_t>(n);
        }
        ++written_;
        pacer_.advance();
        return bytes;
    }

private:
    PythonClass class_;
    sdk::Pacer pacer_;
    std::uint64_t count_;
    std::uint64_t written_ = 0;
    bool has_wait_ = false;
};

class PythonConsumer final : public sdk::Consumer {
public:
    static constexpr sdk::PluginInfo info{"python", "1.0.0",
                                          "a consumer written in Python: a class whose consume(array, info) reads a numpy view"};
    static constexpr plh_config_entry config[] = {PYLABHUB_PYTHON_CLASS_CONFIG};

    explicit PythonConsumer(sdk::Host host) : Consumer(host), class_(host) {
        const auto inputs = host.inputs();
        py::gil_scoped_acquire gil;
        if (!class_.has("consume"))
            throw sdk::ConfigError(class_.name() + " has no consume(array, info) method: a consumer class needs one");
        const py::object hash_of = py::module_::import("pylabhub").attr("schema_hash");
        for (const auto& input : inputs) {
            if (class_.blds()) {
                const std::string wanted = hash_of(*class_.blds()).cast<std::string>();
                if (input.schema_hash != wanted) {
                    throw sdk::PluginError(
                        PLH_ERR_CONFIG,
                        class_.name() + " reads '" + class_.schema_name() + "' (hash " + wanted + "), but channel '" + input.channel +
                            "' carries " +
                            (input.schema_hash.empty() ? std::string("no schema")
                                                       : "'" + input.schema_name + "' (hash " + input.schema_hash + ")"));
                }
                dtypes_.push_back(class_.dtype());
            } else {
                dtypes_.push_back(class_.dtype_of(input.schema_blds));
            }
            itemsizes_.push_back(dtypes_.back().is_none() ? 1 : dtypes_.back().attr("itemsize").cast<std::size_t>());
            py::dict about;
            about["channel"] = input.channel;
            about["input"] = input.index;
            infos_.push_back(about);
        }
        namespace_ = py::module_::import("types").attr("SimpleNamespace");
    }

    ~PythonConsumer() override {
        py::gil_scoped_acquire gil;
        dtypes_.clear();
        infos_.clear();
        namespace_ = py::object();
    }

    void consume(std::span<const std::byte> data, const plh_slot_info& slot) override {
        py::gil_scoped_acquire gil;
        auto bytes = std::span(const_cast<std::byte*>(data.data()), data.size());  // read-only view: writable=false
        // A writer may leave a record's trailing padding out of what it
        // commits; the slot handed over may be a copy of just the committed
        // bytes, so pad a copy rather than read past them.
        const std::size_t itemsize = itemsizes_.at(slot.input_index);
        if (const std::size_t whole = (data.size() + itemsize - 1) / itemsize * itemsize; whole != data.size()) {
            padded_.assign(whole, std::byte{0});
            std::copy(data.begin(), data.end(), padded_.begin());
            bytes = padded_;
        }
        py::object view = class_.view(bytes, false, dtypes_.at(slot.input_index), slot.sequence, 0);
        py::object about =
            namespace_(**infos_.at(slot.input_index), py::arg("sequence") = slot.sequence, py::arg("commit_ns") = slot.commit_ns);
        try {
            class_.call("consume", view.attr("array"), about);
        } catch (...) {
            PythonClass::end_view(view);
            throw;
        }
        PythonClass::end_view(view);
    }

    void flush() override {
        py::gil_scoped_acquire gil;
        if (class_.has("flush")) class_.call("flush");
    }

private:
    PythonClass class_;
    std::vector<py::object> dtypes_;
    std::vector<py::dict> infos_;
    std::vector<std::size_t> itemsizes_;
    std::vector<std::byte> padded_;
    py::object namespace_;
};

}  // namespace

PYLABHUB_PLUGIN_LIBRARY(PythonProducer, PythonConsumer)
