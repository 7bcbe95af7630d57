// Runs the real `ctrace serve` binary as a child process for end-to-end tests:
//   $CTRACE_BIN serve --data DIR --listen 127.0.0.1:PORT --clock CLOCK [extra flags...]
// on a free port, with stdout and stderr captured to a log file (shown in failure messages).
//
// One ServeProcess may be started and stopped several times (restarts on the same data
// directory); each Start picks a new port. The destructor kills a still-running child. The
// child gets SIGKILL if the test process dies. Not thread-safe.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/http_client.h"
#include "tests/support/status.h"
#include "tests/support/temp_dir.h"

namespace ctrace::test_support {

struct ServeOptions {
  // --data; must outlive the process. Required.
  std::string data_dir;
  // --clock. Default: the examples' fixed clock.
  std::string clock = "fixed:2026-11-27T00:00:00Z";
  // Appended after the standard flags (e.g. {"--max-depth", "3"}).
  std::vector<std::string> extra_flags;
  // The binary; empty: $CTRACE_BIN.
  std::string binary;
  // How long Start waits for GET /readyz to answer 200. Default: 20 s.
  std::chrono::milliseconds ready_timeout{20000};
  // How long Stop waits for the exit after SIGTERM. Default: 20 s.
  std::chrono::milliseconds stop_timeout{20000};
  // Whether the child keeps the CTRACE_* variables of the test's environment (which would set
  // flags, operations.md). Default: false, so that a developer's shell cannot change a test.
  bool inherit_ctrace_env = false;
};

class ServeProcess {
 public:
  explicit ServeProcess(ServeOptions options);
  ~ServeProcess();

  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  // Starts the child and waits until it is ready. On failure the child is gone and the
  // message includes the tail of its log.
  Status Start();
  // SIGTERM, then waits for the exit; an error unless it exits with code 0 in time (after a
  // timeout the child is killed).
  Status Stop();
  // SIGKILL and reap (a crash). No-op when not running.
  void Kill();

  bool running() const { return pid_ > 0; }
  uint16_t port() const { return port_; }
  // A client for the running child (valid until the next Start/Stop/Kill).
  HttpClient& client() { return *client_; }
  // The last `max_bytes` of the child's captured stdout+stderr (all runs so far).
  std::string LogTail(size_t max_bytes = 4000) const;

 private:
  Status StartOnce();
  // Waits up to `timeout` for the child to exit; true and *status set when it did.
  bool WaitExit(std::chrono::milliseconds timeout, int* status);

  ServeOptions options_;
  TempDir log_dir_;
  std::string log_path_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::unique_ptr<HttpClient> client_;
};

// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read it, close).
uint16_t PickFreePort();

// A description of a waitpid status ("exit code 3", "killed by signal 11").
std::string DescribeExit(int status);

}  // namespace ctrace::test_support
