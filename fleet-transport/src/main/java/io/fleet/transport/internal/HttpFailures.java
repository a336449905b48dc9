package io.fleet.transport.internal;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;

/** Says in words why an HTTP health check's request failed, from the JDK's exception. */
public final class HttpFailures {
  private HttpFailures() {}

  /** Why fetching {@code url} failed with {@code e}. */
  public static String describe(IOException e, URI url, Duration timeout) {
    String where = url.getHost() + (url.getPort() < 0 ? "" : ":" + url.getPort());
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof UnresolvedAddressException || t instanceof UnknownHostException) {
        return "unknown host " + url.getHost() + ": the name does not resolve";
      }
    }
    if (e instanceof HttpConnectTimeoutException) {
      return "no connection to " + where + " within " + timeout;
    }
    if (e instanceof HttpTimeoutException) {
      return "no answer from " + where + " within " + timeout;
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof ConnectException) {
        return "connection refused by " + where + ": nothing listens there";
      }
    }
    String message = e.getMessage();
    return e.getClass().getSimpleName()
        + (message == null || message.isBlank() ? "" : ": " + message);
  }
}
