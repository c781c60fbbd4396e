#pragma once

// Runs a long C++ call (training, reading a large file) with the GIL released while the calling
// Python thread keeps watch: every few tens of milliseconds it takes the GIL briefly to check for
// signals (Ctrl-C raises KeyboardInterrupt there) and to hand the trainer's latest progress report
// to a Python callback. The trainer's own threads never touch Python: its progress callback only
// stores the report, and a stop flag tells it to end. A stopped run ends with the trainer's
// `cancelled` exception, replaced here by the Python exception that caused it.

#include <embedkit/errors.hpp>
#include <embedkit/train/training_progress.hpp>

#include <pybind11/pybind11.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

namespace embedkit::python {

namespace py = pybind11;

class TrainingWatch {
public:
    /// `callback`: None, or a callable taking a TrainingProgress; a return value of False stops
    /// the run (then embedkit.Cancelled is raised). It is called at most every `interval` seconds
    /// and once with the final report.
    TrainingWatch(py::object callback, double interval) : callback_(std::move(callback)), interval_(interval) {}

    /// The progress callback to give the trainer: it keeps the latest report and says whether to go on.
    [[nodiscard]] ProgressCallback progress() {
        return [this](const TrainingProgress& p) {
            {
                std::lock_guard<std::mutex> lock(report_mutex_);
                latest_ = p;
            }
            return !stop_.load(std::memory_order_relaxed);
        };
    }
    /// The stop flag for trainers that take one (Word2Vec, fastText).
    [[nodiscard]] const std::atomic<bool>* stop_flag() const noexcept { return &stop_; }

    /// Calls `work()` on a new thread with the GIL released (it must not touch Python) and
    /// returns its result; call with the GIL held. Rethrows what work() throws, except that a run
    /// stopped by Ctrl-C or by an exception in the callback raises that Python exception.
    template <class Work>
    auto run(Work&& work) -> decltype(work()) {
        using Result = decltype(work());
        std::optional<Result> result;
        std::exception_ptr failure;
        {
            py::gil_scoped_release release;
            std::mutex done_mutex;
            std::condition_variable done_changed;
            bool done = false;
            std::thread worker([&] {
                try {
                    result.emplace(work());
                } catch (...) {
                    failure = std::current_exception();
                }
                std::lock_guard<std::mutex> lock(done_mutex);
                done = true;
                done_changed.notify_all();
            });
            std::unique_lock<std::mutex> lock(done_mutex);
            while (!done) {
                done_changed.wait_for(lock, std::chrono::milliseconds(50), [&] { return done; });
                if (done) break;
                lock.unlock();
                poll(false);
                lock.lock();
            }
            lock.unlock();
            worker.join();
            poll(true);  // the final report
        }
        if (python_error_) {
            // The error was fetched from Python; give it back so pybind11 raises it.
            python_error_->restore();
            python_error_.reset();
            throw py::error_already_set();
        }
        if (failure) std::rethrow_exception(failure);
        return std::move(*result);
    }

private:
    // Takes the GIL: checks for signals, then delivers the latest report when one is due.
    void poll(bool final) {
        py::gil_scoped_acquire acquire;
        if (python_error_) return;
        if (!final && PyErr_CheckSignals() != 0) {
            python_error_.emplace();
            stop_ = true;
            return;
        }
        if (callback_.is_none()) return;
        std::optional<TrainingProgress> report;
        {
            std::lock_guard<std::mutex> lock(report_mutex_);
            std::swap(report, latest_);
        }
        if (!report) return;
        const auto now = std::chrono::steady_clock::now();
        const bool due = final || !delivered_once_ ||
                         std::chrono::duration<double>(now - last_delivery_).count() >= interval_;
        if (!due) {
            std::lock_guard<std::mutex> lock(report_mutex_);
            if (!latest_) latest_ = report;  // keep it for the next poll
            return;
        }
        delivered_once_ = true;
        last_delivery_ = now;
        try {
            const py::object answer = callback_(*report);
            if (!answer.is_none()) {
                const int truth = PyObject_IsTrue(answer.ptr());
                if (truth < 0) throw py::error_already_set();
                if (truth == 0) stop_ = true;
            }
        } catch (py::error_already_set& e) {
            python_error_.emplace(std::move(e));
            stop_ = true;
        }
    }

    py::object callback_;
    double interval_;
    std::atomic<bool> stop_{false};
    std::mutex report_mutex_;
    std::optional<TrainingProgress> latest_;
    bool delivered_once_ = false;
    std::chrono::steady_clock::time_point last_delivery_;
    std::optional<py::error_already_set> python_error_;
};

}  // namespace embedkit::python
