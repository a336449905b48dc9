package io.fleet.transport.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A bounded in-memory pipe from one thread's {@link OutputStream} to another's {@link InputStream},
 * handing over chunks (unlike {@code PipedInputStream}, whose reader polls once a second). Closing
 * the reading end makes further writes fail, so a writer never blocks on a reader that gave up.
 */
final class StreamPipe {
  private static final byte[] EOF = new byte[0];
  private final BlockingQueue<byte[]> queue;
  private volatile boolean readerClosed;

  /** A pipe holding at most {@code chunks} chunks in flight. */
  StreamPipe(int chunks) {
    this.queue = new ArrayBlockingQueue<>(chunks);
  }

  /** The writing end; close it to signal the end of the stream. */
  OutputStream sink() {
    return new OutputStream() {
      private boolean closed;

      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        if (closed) {
          throw new IOException("the pipe's writing end is closed");
        }
        if (len > 0) {
          put(Arrays.copyOfRange(b, off, off + len));
        }
      }

      @Override
      public void close() throws IOException {
        if (!closed) {
          closed = true;
          try {
            put(EOF);
          } catch (IOException e) {
            // the reader is gone; it needs no end marker
          }
        }
      }
    };
  }

  private void put(byte[] chunk) throws IOException {
    try {
      while (!queue.offer(chunk, 100, TimeUnit.MILLISECONDS)) {
        if (readerClosed) {
          throw new IOException("the host stopped reading the stream");
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while writing to the pipe");
    }
  }

  /** The reading end; closing it makes the writer fail. */
  InputStream source() {
    return new InputStream() {
      private byte[] chunk;
      private int pos;
      private boolean eof;

      private boolean fill() throws IOException {
        if (eof) {
          return false;
        }
        while (chunk == null || pos >= chunk.length) {
          try {
            chunk = queue.take();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while reading from the pipe");
          }
          pos = 0;
          if (chunk == EOF) {
            eof = true;
            return false;
          }
        }
        return true;
      }

      @Override
      public int read() throws IOException {
        if (!fill()) {
          return -1;
        }
        return chunk[pos++] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
          return 0;
        }
        if (!fill()) {
          return -1;
        }
        int n = Math.min(len, chunk.length - pos);
        System.arraycopy(chunk, pos, b, off, n);
        pos += n;
        return n;
      }

      @Override
      public void close() {
        readerClosed = true;
        queue.clear();
      }
    };
  }
}
