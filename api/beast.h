// The one place Asio and Beast are included from. Internal to api/ and its tests: include it
// only from .cc files, never from a header others include (Beast is slow to compile).
//
// Boost 1.74 with GCC 12 in C++20 needs <utility> before the Asio headers (std::exchange).
#pragma once

#include <utility>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/version.hpp>
