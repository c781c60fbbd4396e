#include <embedkit/train/executor.hpp>
#include <embedkit/train/schedule.hpp>
#include <embedkit/train/training_run.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

using namespace embedkit;

TEST_CASE("the linear schedule decays with the work done to its floor", "[train][schedule]") {
    const LinearSchedule s{0.05, 0.01, 1000};
    CHECK(s.at(0) == 0.05);
    CHECK(s.at(500) == Approx(0.025));
    CHECK(s.at(995) == Approx(0.05 * 0.01));  // 0.005 remaining < the floor
    CHECK(s.at(5000) == Approx(0.05 * 0.01));
    const LinearSchedule constant{0.05, 1.0, 1000};
    CHECK(constant.at(700) == 0.05);
}

TEST_CASE("sync counts the work of every worker and reports progress with an ETA", "[train]") {
    std::vector<TrainingProgress> reports;
    TrainingRunOptions o;
    o.total_work = 1000;
    o.schedule = {0.1, 1e-4, 1000};
    o.workers = 2;
    o.progress_interval = 0;
    o.progress = [&](const TrainingProgress& p) {
        reports.push_back(p);
        return true;
    };
    TrainingRun run(o);
    bool keep_going = false;
    // Worker 1 reports nothing; worker 0 reports at every sync (interval 0).
    CHECK(run.sync(1, 300, 6.0, 3, keep_going) == Approx(0.07));
    CHECK(keep_going);
    CHECK(reports.empty());
    CHECK(run.sync(0, 200, 2.0, 2, keep_going) == Approx(0.05));
    REQUIRE(reports.size() == 1);
    CHECK(reports[0].tokens_processed == 500);
    CHECK(reports[0].fraction == Approx(0.5));
    CHECK(reports[0].loss == Approx(8.0 / 5.0));  // both workers' losses since the start
    CHECK(reports[0].eta_seconds >= 0);
    run.finish();
    REQUIRE(reports.size() == 2);
    CHECK(reports[1].fraction == 1.0);
    CHECK(reports[1].learning_rate == Approx(0.1 * 1e-4));
}

TEST_CASE("a progress callback that says stop cancels the run", "[train]") {
    TrainingRunOptions o;
    o.total_work = 100;
    o.progress_interval = 0;
    o.progress = [](const TrainingProgress&) { return false; };
    o.name = "test run";
    TrainingRun run(o);
    bool keep_going = true;
    (void)run.sync(0, 10, 0.0, 0, keep_going);
    CHECK_FALSE(keep_going);
    CHECK_THROWS_MATCHES(run.finish(), cancelled, Catch::Message("test run cancelled"));
}

TEST_CASE("a NaN loss stops the run as diverged, naming the learning rate", "[train]") {
    TrainingRunOptions o;
    o.total_work = 100;
    o.schedule.initial = 0.5;
    TrainingRun run(o);
    bool keep_going = true;
    (void)run.sync(0, 10, std::numeric_limits<double>::quiet_NaN(), 1, keep_going);
    CHECK_FALSE(keep_going);
    CHECK_THROWS_AS(run.finish(), numeric_error);
    TrainingRun other(o);
    CHECK_THROWS_WITH(other.finish([] { return false; }), Catch::Contains("diverged") && Catch::Contains("0.5"));
}

TEST_CASE("the pause action runs once every worker is paused or done, with the others waiting", "[train]") {
    TrainingRunOptions o;
    o.total_work = 1'000'000;
    o.workers = 3;
    std::atomic<int> running{0};
    int pauses = 0;
    int running_at_pause = -1;
    std::vector<int> recorded(3, -1);
    TrainingRun run(o);
    run.set_pause_action({1e-9, [&] {
                              ++pauses;
                              running_at_pause = running.load();
                          }});
    ThreadExecutor executor(3);
    executor.run([&](unsigned w) {
        ++running;
        bool keep_going = true;
        for (int step = 0; step < 50 && keep_going; ++step) {
            (void)run.sync(w, 10, 0.0, 0, keep_going);
            if (run.pause_due()) {
                --running;
                keep_going = run.pause([&] { recorded[w] = step; });
                ++running;
            }
        }
        --running;
        run.leave([&] {});
    });
    CHECK(pauses >= 1);
    CHECK(running_at_pause == 0);  // nobody trained while the action ran
    for (int r : recorded) CHECK(r >= 0);
    run.finish();
}

TEST_CASE("the thread executor runs every worker and rethrows the first exception", "[train]") {
    const ThreadExecutor executor(4);
    CHECK(executor.workers() == 4);
    std::vector<int> ran(4, 0);
    executor.run([&](unsigned w) { ran[w] = 1; });
    CHECK(ran == std::vector<int>{1, 1, 1, 1});
    CHECK_THROWS_WITH(executor.run([](unsigned w) {
        if (w == 2) throw std::runtime_error("worker 2 failed");
    }),
                      "worker 2 failed");
}

TEST_CASE("pause points pause the workers once the work count reaches each point, never by the clock", "[train]") {
    TrainingRunOptions o;
    o.total_work = 1000;
    o.workers = 1;
    TrainingRun run(o);
    std::vector<std::uint64_t> paused_at;
    run.set_pause_action({0, [&] { paused_at.push_back(run.processed()); }});
    run.set_pause_points({100, 250, 260, 900});
    bool keep_going = true;
    for (int step = 0; step < 10 && keep_going; ++step) {
        (void)run.sync(0, 60, 0.0, 0, keep_going);
        if (run.pause_due()) keep_going = run.pause([] {});
    }
    run.leave([] {});
    // 120 passes 100; 300 passes both 250 and 260 (one pause); 600 passes no point.
    CHECK(paused_at == std::vector<std::uint64_t>{120, 300});
    CHECK_FALSE(run.pause_due());
}

TEST_CASE("a pause action can stop the run when the pause ends", "[train]") {
    TrainingRunOptions o;
    o.total_work = 1000;
    TrainingRun run(o);
    run.set_pause_action({0, [&] { run.stop_at_pause(/*saved=*/true); }});
    run.set_pause_points({50});
    bool keep_going = true;
    (void)run.sync(0, 60, 0.0, 0, keep_going);
    REQUIRE(run.pause_due());
    CHECK_FALSE(run.pause([] {}));
    run.leave([] {});
    CHECK_THROWS_WITH(run.finish(), Catch::Contains("stopped on request"));
}
