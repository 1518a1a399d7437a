//===- Server.cpp - ./model serve: TF Serving's REST API ------------------===//
// SPDX-License-Identifier: Apache-2.0
//
// Boost.Beast's asynchronous server pattern: an acceptor, one Session per
// connection on its own strand, Asio timers for the deadlines, and a
// signal_set for the graceful stop. Exceptions (Asio's and nlohmann's) stay
// inside this archive.
//===----------------------------------------------------------------------===//
#include "serve/Server.h"

#include "base/Status.h"
#include "serve/Batcher.h"
#include "serve/Rest.h"
#include "serve/Versions.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

using namespace kiln;
using namespace kiln::serve;

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

/// A reply: HTTP status and JSON body.
struct Reply {
  unsigned status = 200;
  std::string body;
};

Reply errorReply(unsigned status, std::string_view message) {
  return {status, formatError(message)};
}

/// Takes `status` (a failure) into a reply and frees it.
Reply failureReply(kiln_status_t status) {
  Reply reply =
      errorReply(static_cast<unsigned>(httpStatusOf(kiln_status_code(status))),
                 kiln_status_message(status));
  kiln_status_free(status);
  return reply;
}

class Session;

/// What the sessions share.
class Server {
public:
  Server(const kiln_model_desc_t *desc, const ServeOptions &options,
         net::io_context &io)
      : desc(desc), options(options), io(io), acceptor(net::make_strand(io)),
        signals(net::make_strand(io), SIGINT, SIGTERM),
        versions(desc, options.basePath, options.pollSeconds, options.prepare,
                 [this](const std::string &line) { this->log(line); }) {
    if (options.batching && everyTensorHasBatch(desc))
      batcher = std::make_unique<Batcher>(
          options.maxBatchSize,
          std::chrono::microseconds(options.batchTimeoutMicros),
          options.maxQueuedRows > 0 ? options.maxQueuedRows
                                    : 16 * options.maxBatchSize,
          options.verbose
              ? std::function<void(const std::string &)>(
                    [this](const std::string &line) { this->log(line); })
              : nullptr);
  }

  kiln_status_t start();
  void stop();
  bool stopping() const { return stopped.load(); }

  /// Answers a request that has no body to wait for, or hands a predict
  /// request to the batcher, which calls `later` with the reply.
  std::optional<Reply> handle(const http::request<http::string_body> &request,
                              std::function<void(Reply)> later);

  void log(const std::string &line) {
    std::lock_guard<std::mutex> lock(logMutex);
    std::fprintf(stderr, "kiln serve: %s\n", line.c_str());
    std::fflush(stderr);
  }

  void track(const std::shared_ptr<Session> &session);
  /// A session ended; the last one after a stop lets the I/O threads end.
  void release() {
    if (--open == 0 && stopping())
      drained();
  }

  const kiln_model_desc_t *desc;
  const ServeOptions &options;
  net::io_context &io;
  std::atomic<int64_t> open{0};

private:
  void accept();
  /// Stops waiting for a second signal: nothing is left to do.
  void drained() {
    net::post(signals.get_executor(), [this] {
      beast::error_code ec;
      signals.cancel(ec);
    });
  }
  Reply predict(const http::request<http::string_body> &request,
                std::shared_ptr<const Servable> servable,
                std::function<void(Reply)> &later, bool &deferred);

  tcp::acceptor acceptor;
  net::signal_set signals;
  VersionManager versions;
  std::unique_ptr<Batcher> batcher;
  std::atomic<bool> stopped{false};
  std::mutex logMutex;
  std::mutex sessionsMutex;
  std::vector<std::weak_ptr<Session>> sessions;
};

/// One connection: read a request, answer it, and again while the client
/// keeps the connection alive.
class Session : public std::enable_shared_from_this<Session> {
public:
  Session(tcp::socket &&socket, Server &server)
      : stream(std::move(socket)), deadline(stream.get_executor()),
        server(server) {
    beast::error_code ec;
    tcp::endpoint remote = stream.socket().remote_endpoint(ec);
    peer =
        ec ? "?"
           : remote.address().to_string() + ":" + std::to_string(remote.port());
  }
  ~Session() { server.release(); }

  void start() {
    net::dispatch(
        stream.get_executor(),
        beast::bind_front_handler(&Session::read, shared_from_this()));
  }

  /// On stop: a connection waiting for a request is closed.
  void stopIfIdle() {
    net::post(stream.get_executor(), [self = shared_from_this()] {
      if (!self->busy && (!self->parser || !self->parser->got_some()))
        self->stream.cancel();
    });
  }

  /// Answers at once and closes (a refused connection).
  void refuse(Reply reply) {
    net::dispatch(stream.get_executor(),
                  [self = shared_from_this(), reply = std::move(reply)] {
                    self->method = "-";
                    self->started = Clock::now();
                    self->send(reply, /*keepAlive=*/false);
                  });
  }

private:
  void read() {
    if (server.stopping())
      return close();
    busy = false;
    parser.emplace();
    parser->body_limit(static_cast<uint64_t>(server.options.maxBodyBytes));
    parser->header_limit(16 * 1024);
    // The read's deadline cancels it rather than closing the socket (as
    // tcp_stream's own would), so a late request can still be told 408.
    stream.expires_never();
    timedOut = false;
    deadline.expires_after(std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(server.options.readTimeout)));
    deadline.async_wait([weak = weak_from_this()](beast::error_code ec) {
      if (std::shared_ptr<Session> self = weak.lock(); self && !ec) {
        self->timedOut = true;
        beast::error_code ignored;
        self->stream.socket().cancel(ignored);
      }
    });
    http::async_read(
        stream, buffer, *parser,
        beast::bind_front_handler(&Session::onRead, shared_from_this()));
  }

  void onRead(beast::error_code ec, size_t) {
    deadline.cancel();
    started = Clock::now();
    bool begun = parser->got_some() || buffer.size() > 0;
    if (ec == net::error::operation_aborted && timedOut) {
      if (!begun)
        return close();
      method = "-";
      return send(errorReply(408, "the request was not received within " +
                                      std::to_string(static_cast<int>(
                                          server.options.readTimeout)) +
                                      " s"),
                  false);
    }
    if (ec == http::error::end_of_stream || ec == net::error::eof ||
        ec == net::error::operation_aborted ||
        ec == net::error::connection_reset)
      return close();
    if (ec == http::error::body_limit) {
      method = "-";
      return send(
          errorReply(413, "the request body exceeds " +
                              std::to_string(server.options.maxBodyBytes) +
                              " bytes (--max_request_bytes)"),
          false);
    }
    if (ec) {
      if (!begun)
        return close();
      method = "-";
      return send(errorReply(400, "malformed HTTP request: " + ec.message()),
                  false);
    }
    busy = true;
    http::request<http::string_body> request = parser->release();
    method = std::string(request.method_string());
    target = std::string(request.target());
    bool keepAlive = request.keep_alive();
    auto self = shared_from_this();
    auto guard = net::make_work_guard(stream.get_executor());
    std::optional<Reply> reply =
        server.handle(request, [self, keepAlive, guard](Reply later) mutable {
          net::post(self->stream.get_executor(),
                    [self, keepAlive, later = std::move(later)] {
                      self->send(later, keepAlive);
                    });
          guard.reset();
        });
    if (reply)
      send(*reply, keepAlive);
  }

  void send(const Reply &reply, bool keepAlive) {
    auto response = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(reply.status), 11);
    response->set(http::field::server, "kiln");
    response->set(http::field::content_type, "application/json");
    response->keep_alive(keepAlive && !server.stopping());
    response->body() = reply.body;
    response->prepare_payload();
    if (server.options.verbose) {
      double ms =
          std::chrono::duration<double, std::milli>(Clock::now() - started)
              .count();
      char line[64];
      std::snprintf(line, sizeof(line), " %u %zu B %.2f ms", reply.status,
                    reply.body.size(), ms);
      server.log(peer + " \"" + method + " " + target + "\"" + line);
    }
    stream.expires_after(std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(server.options.writeTimeout)));
    http::async_write(
        stream, *response,
        [self = shared_from_this(), response](beast::error_code ec, size_t) {
          if (ec || response->need_eof())
            return self->close();
          self->read();
        });
  }

  void close() {
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream.socket().close(ec);
  }

  beast::tcp_stream stream;
  net::steady_timer deadline;
  bool timedOut = false;
  beast::flat_buffer buffer;
  std::optional<http::request_parser<http::string_body>> parser;
  Server &server;
  std::string peer, method = "-", target;
  Clock::time_point started = Clock::now();
  bool busy = false;
};

void Server::track(const std::shared_ptr<Session> &session) {
  std::lock_guard<std::mutex> lock(sessionsMutex);
  // Forget the closed ones now and then.
  if (sessions.size() >= 64 && sessions.size() % 64 == 0) {
    std::vector<std::weak_ptr<Session>> live;
    for (const std::weak_ptr<Session> &weak : sessions)
      if (!weak.expired())
        live.push_back(weak);
    sessions.swap(live);
  }
  sessions.push_back(session);
}

kiln_status_t Server::start() {
  KILN_RETURN_IF_ERROR(versions.start());
  beast::error_code ec;
  net::ip::address address = net::ip::make_address(options.host, ec);
  if (ec)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "--host %s: not an IP address (%s)",
                       options.host.c_str(), ec.message().c_str());
  tcp::endpoint endpoint(address, static_cast<unsigned short>(options.port));
  auto failed = [&](const char *what) {
    return KILN_STATUS(KILN_STATUS_IO_ERROR, "cannot listen on %s:%d: %s %s",
                       options.host.c_str(), options.port, what,
                       ec.message().c_str());
  };
  acceptor.open(endpoint.protocol(), ec);
  if (ec)
    return failed("open:");
  acceptor.set_option(net::socket_base::reuse_address(true), ec);
  acceptor.bind(endpoint, ec);
  if (ec)
    return failed("bind:");
  acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec)
    return failed("listen:");
  int port = acceptor.local_endpoint().port();
  // Null only if the poller found the first version's folder deleted.
  std::shared_ptr<const Servable> first = versions.latest();
  std::printf("kiln serve: model '%s' version %" PRId64
              " at http://%s:%d/v1/models/%s (%d thread%s%s; Ctrl-C stops)\n",
              options.modelName.c_str(), first ? first->version : 0,
              options.host.c_str(), port, options.modelName.c_str(),
              options.threads, options.threads == 1 ? "" : "s",
              batcher ? ", batching" : "");
  std::fflush(stdout);
  signals.async_wait([this](beast::error_code error, int) {
    if (error)
      return;
    log("stopping: answering the requests in flight");
    stop();
    // A second signal stops at once.
    signals.async_wait([this](beast::error_code again, int) {
      if (!again)
        io.stop();
    });
  });
  accept();
  return nullptr;
}

void Server::accept() {
  acceptor.async_accept(net::make_strand(io), [this](beast::error_code ec,
                                                     tcp::socket socket) {
    if (ec == net::error::operation_aborted || stopping())
      return;
    if (!ec) {
      bool full = open.load() >= options.maxConnections;
      ++open;
      auto session = std::make_shared<Session>(std::move(socket), *this);
      if (full) {
        session->refuse(
            errorReply(503, "too many connections (--max_connections " +
                                std::to_string(options.maxConnections) + ")"));
      } else {
        track(session);
        session->start();
      }
    }
    accept();
  });
}

void Server::stop() {
  if (stopped.exchange(true))
    return;
  net::post(acceptor.get_executor(), [this] {
    beast::error_code ec;
    acceptor.close(ec);
  });
  versions.stop();
  std::lock_guard<std::mutex> lock(sessionsMutex);
  for (const std::weak_ptr<Session> &weak : sessions)
    if (std::shared_ptr<Session> session = weak.lock())
      session->stopIfIdle();
  if (open.load() == 0)
    drained();
}

std::optional<Reply>
Server::handle(const http::request<http::string_body> &request,
               std::function<void(Reply)> later) {
  Route route = parseRoute(std::string_view(request.method_string()),
                           std::string_view(request.target()));
  if (route.kind == RouteKind::Invalid)
    return errorReply(
        404, "Malformed request: " + std::string(request.method_string()) +
                 " " + std::string(request.target()));
  if (route.kind == RouteKind::Unsupported)
    return errorReply(501, "kiln serves the predict API only; " + route.what +
                               " is not supported");
  std::shared_ptr<const Servable> servable = versions.latest();
  std::string which = route.version < 0
                          ? "Latest(" + route.model + ")"
                          : "Specific(" + route.model + ", " +
                                std::to_string(route.version) + ")";
  if (route.model != options.modelName || !servable ||
      (route.version >= 0 && route.version != servable->version))
    return errorReply(404, "Servable not found for request: " + which);
  switch (route.kind) {
  case RouteKind::Status:
    return Reply{200, formatVersionStatus(servable->version)};
  case RouteKind::Metadata:
    return Reply{200,
                 formatMetadata(desc, options.modelName, servable->version)};
  default: {
    bool deferred = false;
    Reply reply = predict(request, std::move(servable), later, deferred);
    if (deferred)
      return std::nullopt;
    return reply;
  }
  }
}

Reply Server::predict(const http::request<http::string_body> &request,
                      std::shared_ptr<const Servable> servable,
                      std::function<void(Reply)> &later, bool &deferred) {
  PredictRequest parsed;
  if (kiln_status_t status = parsePredictRequest(desc, request.body(), parsed))
    return failureReply(status);
  bool columnar = parsed.columnar;
  int64_t batch = parsed.batch;
  if (batcher) {
    deferred = true;
    batcher->submit(
        std::move(servable), std::move(parsed),
        [this, columnar, batch, later](kiln_status_t status,
                                       std::vector<Tensor> out) {
          if (status)
            return later(failureReply(status));
          later({200, formatPredictResponse(desc, columnar, batch, out)});
        });
    return {};
  }
  std::vector<Tensor> outputs;
  if (kiln_status_t status = runPredict(*servable, parsed, outputs))
    return failureReply(status);
  return {200, formatPredictResponse(desc, columnar, batch, outputs)};
}

} // namespace

kiln_status_t kiln::serve::runServer(const kiln_model_desc_t *desc,
                                     const ServeOptions &given) {
  ServeOptions options = given;
  if (options.threads <= 0)
    options.threads =
        static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  try {
    net::io_context io(options.threads);
    Server server(desc, options, io);
    KILN_RETURN_IF_ERROR(server.start());
    std::vector<std::thread> threads;
    auto work = [&io, &options] {
      // Several I/O threads each predict on one core; one uses them all.
      if (options.threads > 1)
        kiln_set_num_threads(1);
      io.run();
    };
    for (int i = 1; i < options.threads; ++i)
      threads.emplace_back(work);
    work();
    for (std::thread &thread : threads)
      thread.join();
    server.log("stopped");
  } catch (const std::exception &error) {
    return KILN_STATUS(KILN_STATUS_INTERNAL, "serve: %s", error.what());
  }
  return nullptr;
}
