#include "tests/support/serve_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace ctrace::test_support {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

uint16_t PickFreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  uint16_t port = 0;
  socklen_t len = sizeof addr;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

std::string DescribeExit(int status) {
  if (WIFEXITED(status)) return "exit code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

ServeProcess::ServeProcess(ServeOptions options)
    : options_(std::move(options)), log_dir_("ctrace-serve-log-"),
      log_path_(log_dir_.Sub("serve.log").string()) {
  if (options_.binary.empty()) {
    const char* bin = std::getenv("CTRACE_BIN");
    options_.binary = bin != nullptr ? bin : "";
  }
}

ServeProcess::~ServeProcess() { Kill(); }

Status ServeProcess::Start() {
  if (running()) return Status::Error("ServeProcess::Start: already running");
  if (options_.binary.empty()) {
    return Status::Error("CTRACE_BIN is not set (run the test through ctest)");
  }
  // A port picked free can be taken before the child binds it: retry a few times.
  Status last = Status::Ok();
  for (int attempt = 0; attempt < 3; ++attempt) {
    last = StartOnce();
    if (last.ok()) return last;
  }
  return last;
}

Status ServeProcess::StartOnce() {
  port_ = PickFreePort();
  if (port_ == 0) return Status::Error("no free port");
  std::vector<std::string> args = {options_.binary,
                                   "serve",
                                   "--data",
                                   options_.data_dir,
                                   "--listen",
                                   "127.0.0.1:" + std::to_string(port_),
                                   "--clock",
                                   options_.clock};
  args.insert(args.end(), options_.extra_flags.begin(), options_.extra_flags.end());
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (char** e = environ; *e != nullptr; ++e) {
    if (options_.inherit_ctrace_env || std::strncmp(*e, "CTRACE_", 7) != 0) envp.push_back(*e);
  }
  envp.push_back(nullptr);
  {
    std::ofstream log(log_path_, std::ios::app);
    log << "=== start:";
    for (const std::string& a : args) log << ' ' << a;
    log << '\n';
  }
  const int log_fd = open(log_path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (log_fd < 0) return Status::Error("open " + log_path_ + ": " + std::strerror(errno));
  const int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    close(log_fd);
    if (null_fd >= 0) close(null_fd);
    return Status::Error(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  close(log_fd);
  if (null_fd >= 0) close(null_fd);
  pid_ = pid;
  client_ = std::make_unique<HttpClient>("127.0.0.1", port_);

  HttpClientOptions probe_options;
  probe_options.timeout = milliseconds(1000);
  HttpClient probe("127.0.0.1", port_, probe_options);
  const auto deadline = steady_clock::now() + options_.ready_timeout;
  std::string last_answer = "no answer yet";
  while (steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return Status::Error("ctrace serve exited before ready (" + DescribeExit(status) +
                           "); log:\n" + LogTail());
    }
    const HttpResponse r = probe.Get("/readyz");
    if (r.status == 200) return Status::Ok();
    last_answer = r.status == 0 ? r.error : "status " + std::to_string(r.status) + " " + r.body;
    // Polling a child process for readiness, not waiting for time to pass.
    std::this_thread::sleep_for(milliseconds(50));
  }
  Kill();
  return Status::Error("ctrace serve not ready after " +
                       std::to_string(options_.ready_timeout.count()) +
                       " ms (last /readyz: " + last_answer + "); log:\n" + LogTail());
}

bool ServeProcess::WaitExit(milliseconds timeout, int* status) {
  const auto deadline = steady_clock::now() + timeout;
  while (true) {
    const pid_t r = waitpid(pid_, status, WNOHANG);
    if (r == pid_ || (r < 0 && errno == ECHILD)) return true;
    if (steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(milliseconds(10));
  }
}

Status ServeProcess::Stop() {
  if (!running()) return Status::Error("ServeProcess::Stop: not running");
  client_.reset();
  kill(pid_, SIGTERM);
  int status = 0;
  if (!WaitExit(options_.stop_timeout, &status)) {
    Kill();
    return Status::Error("ctrace serve did not exit within " +
                         std::to_string(options_.stop_timeout.count()) +
                         " ms of SIGTERM; log:\n" + LogTail());
  }
  pid_ = -1;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return Status::Error("ctrace serve after SIGTERM: " + DescribeExit(status) +
                         " (want exit code 0); log:\n" + LogTail());
  }
  return Status::Ok();
}

void ServeProcess::Kill() {
  client_.reset();
  if (!running()) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::string ServeProcess::LogTail(size_t max_bytes) const {
  std::ifstream in(log_path_, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  if (text.size() > max_bytes) text = "..." + text.substr(text.size() - max_bytes);
  return text;
}

}  // namespace ctrace::test_support
