package io.fleet.transport.internal;

import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Guards a caller's streams: once closed, reads see end of input and writes are dropped, so a
 * command that was given up on cannot touch them after its call returned. Closing the gate does not
 * close the streams.
 */
final class Gate {
  private volatile boolean closed;

  void close() {
    closed = true;
  }

  InputStream in(InputStream in) {
    return new FilterInputStream(in) {
      @Override
      public int read() throws IOException {
        return closed ? -1 : super.read();
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        return closed ? -1 : super.read(b, off, len);
      }

      @Override
      public void close() {
        // the caller owns the stream
      }
    };
  }

  OutputStream out(OutputStream out) {
    return new FilterOutputStream(out) {
      @Override
      public void write(int b) throws IOException {
        if (!closed) {
          out.write(b);
        }
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        if (!closed) {
          out.write(b, off, len);
        }
      }

      @Override
      public void flush() throws IOException {
        if (!closed) {
          out.flush();
        }
      }

      @Override
      public void close() {
        // the caller owns the stream
      }
    };
  }
}
