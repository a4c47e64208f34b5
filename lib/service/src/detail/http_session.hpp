#pragma once
// One connection of the HTTP server, plain or TLS (Stream: beast::tcp_stream or
// beast::ssl_stream<beast::tcp_stream>): its requests and answers (Session), or, once it
// asked for one, its event stream (StreamClient). Loop thread only; each keeps itself
// alive through the handlers it has pending, and closes its socket when the last ends.

#include <array>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "detail/http_state.hpp"

namespace sfcrimed::http::detail {

using PlainStream = boost::beast::tcp_stream;
using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

template <typename Stream>
inline constexpr bool kIsTls = std::is_same_v<Stream, TlsStream>;

// A client that takes no byte of an event for this long is dropped.
inline constexpr std::chrono::seconds kEventWriteTimeout{10};

// Closes the connection under `stream` at once, unannounced.
template <typename Stream>
void close_now(Stream& stream) {
  auto& tcp = boost::beast::get_lowest_layer(stream);
  boost::system::error_code ignored;
  tcp.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
  tcp.close();
}

// The connection of an event stream's client. The answer has no length and ends when
// the connection does (HTTP/1.1 allows it; EventSource reconnects by itself). The client
// sends nothing more, so a read kept pending tells when it leaves.
template <typename Stream>
class StreamClient final : public EventClient, public std::enable_shared_from_this<StreamClient<Stream>> {
 public:
  StreamClient(Stream stream, ConnectionSlot slot) : stream_(std::move(stream)), slot_(std::move(slot)) {}

  // Makes the connection `stream` a client of `events`.
  static void join_stream(EventStream& events, Stream stream, ConnectionSlot slot) {
    auto client = std::make_shared<StreamClient>(std::move(stream), std::move(slot));
    boost::beast::get_lowest_layer(client->stream_).expires_never();  // the request timeouts do not apply
    client->watch();
    EventClient::join(events, client);
  }

  void send(std::string event) override {
    if (closed_) {
      return;
    }
    if (writing_) {
      waiting_ = std::move(event);
      return;
    }
    in_flight_ = std::move(event);
    writing_ = true;
    boost::beast::get_lowest_layer(stream_).expires_after(kEventWriteTimeout);
    boost::asio::async_write(stream_, boost::asio::buffer(in_flight_),
                             [self = this->shared_from_this()](boost::system::error_code error, std::size_t) {
                               self->writing_ = false;
                               if (error) {
                                 self->close();
                               } else if (self->waiting_) {
                                 self->send(*std::exchange(self->waiting_, std::nullopt));
                               }
                             });
  }

  void close() override {
    if (!std::exchange(closed_, true)) {
      close_now(stream_);
    }
  }

  [[nodiscard]] bool closed() const override { return closed_; }

 private:
  void watch() {
    stream_.async_read_some(boost::asio::buffer(sink_),
                            [self = this->shared_from_this()](boost::system::error_code error, std::size_t) {
                              if (error) {
                                self->close();
                              } else {
                                self->watch();
                              }
                            });
  }

  Stream stream_;
  ConnectionSlot slot_;
  std::string in_flight_;
  std::optional<std::string> waiting_;
  bool writing_ = false;
  bool closed_ = false;
  std::array<char, 512> sink_{};
};

// One connection: read a request, answer it, and again while the client keeps it alive.
// Every wait is bounded: the TLS handshake and each request by the header timeout, the
// wait for a next request by the idle timeout, each answer's write by the idle timeout.
template <typename Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(Stream stream, ConnectionSlot slot) : stream_(std::move(stream)), slot_(std::move(slot)) {}

  // The TLS handshake, if any, and the first request, within one header timeout.
  void start() {
    tcp().expires_after(options().header_timeout);
    if constexpr (kIsTls<Stream>) {
      // A failed handshake (a plain-HTTP client, say) ends the session: nothing to answer.
      stream_.async_handshake(boost::asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](boost::system::error_code error) {
                                if (!error) {
                                  self->read_request();
                                }
                              });
    } else {
      read_request();
    }
  }

 private:
  [[nodiscard]] const ServerOptions& options() const { return slot_.state().options; }
  boost::beast::tcp_stream& tcp() { return boost::beast::get_lowest_layer(stream_); }

  // A kept-alive connection: the idle timeout until the next request's first byte, then
  // the header timeout for the rest of it.
  void await_next() {
    if (buffer_.size() > 0) {  // pipelined: it has begun already
      tcp().expires_after(options().header_timeout);
      read_request();
      return;
    }
    tcp().expires_after(options().idle_timeout);
    constexpr std::size_t kReadSize = 4096;
    stream_.async_read_some(buffer_.prepare(kReadSize),
                            [self = this->shared_from_this()](boost::system::error_code error, std::size_t bytes) {
                              if (error) {
                                return;  // idle too long, or gone
                              }
                              self->buffer_.commit(bytes);
                              self->tcp().expires_after(self->options().header_timeout);
                              self->read_request();
                            });
  }

  void read_request() {
    parser_.emplace();
    parser_->header_limit(options().header_limit);
    parser_->body_limit(kBodyLimit);
    boost::beast::http::async_read(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](boost::system::error_code error, std::size_t) { self->on_request(error); });
  }

  void on_request(const boost::system::error_code& error) {
    if (error) {
      if (auto response = answer_unreadable(slot_.state(), error)) {
        write(std::move(*response));
      }
      return;  // else the session ends here, and its socket closes
    }
    Answer reply = answer(slot_.state(), parser_->get());
    parser_.reset();
    if (reply.events != nullptr) {
      StreamClient<Stream>::join_stream(*reply.events, std::move(stream_), std::move(slot_));
      return;  // the connection is the event stream's now
    }
    write(std::move(reply.response));
  }

  void write(HttpResponse response) {
    response_ = std::move(response);
    tcp().expires_after(options().idle_timeout);
    boost::beast::http::async_write(stream_, response_,
                                    [self = this->shared_from_this()](boost::system::error_code error, std::size_t) {
                                      if (error) {
                                        return;
                                      }
                                      if (self->response_.keep_alive()) {
                                        self->await_next();
                                      } else {
                                        self->finish();
                                      }
                                    });
  }

  // The last answer is out: close without losing it. Closing a socket with bytes of the
  // client's still unread makes the kernel send a reset, which can destroy the answer
  // in the client's buffers before it reads it (a 431 to a megabyte of header, say); so
  // the sending side closes first and what the client still sends is read and dropped
  // until it closes too, for the header timeout at most. Over TLS, close_notify.
  void finish() {
    tcp().expires_after(options().header_timeout);
    if constexpr (kIsTls<Stream>) {
      stream_.async_shutdown([self = this->shared_from_this()](boost::system::error_code) {});
    } else {
      boost::system::error_code ignored;
      tcp().socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
      drain();
    }
  }

  void drain() {
    stream_.async_read_some(boost::asio::buffer(sink_),
                            [self = this->shared_from_this()](boost::system::error_code error, std::size_t) {
                              if (!error) {
                                self->drain();
                              }
                            });
  }

  Stream stream_;
  ConnectionSlot slot_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  HttpResponse response_;
  std::array<char, 4096> sink_{};
};

}  // namespace sfcrimed::http::detail
