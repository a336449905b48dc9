package io.fleet.secrets.age;

import io.fleet.secrets.age.internal.AgeFiles;
import io.fleet.secrets.age.internal.Armor;
import io.fleet.secrets.age.internal.Identity;
import io.fleet.secrets.age.internal.Keys;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * age v1 encryption (the C2SP age format), readable by the {@code age} and {@code rage} CLIs and
 * able to read their files.
 *
 * <p>Recipients are {@code age1…} X25519 keys or OpenSSH {@code ssh-ed25519 AAAA… [comment]} public
 * key lines (a host's {@code /etc/ssh/ssh_host_ed25519_key.pub}). Identities are {@code
 * AGE-SECRET-KEY-1…} keys, the text of an age identity file ({@code #} comments and several keys),
 * or the text of an unencrypted OpenSSH ed25519 private key file. Decryption reads binary and
 * armored files alike.
 *
 * <p>Every failure is an {@link AgeException} whose {@link AgeException#kind()} says which: a
 * damaged header, no matching identity, a bad header MAC, a damaged payload, bad armor, or an
 * unusable key. No plaintext is released before it is authenticated; the {@code byte[]} methods
 * release nothing unless the whole file verifies. All methods are thread-safe.
 */
public final class Age {
  private Age() {}

  /**
   * Encrypts {@code plaintext} to every one of {@code recipients}; returns a binary age file.
   *
   * @throws AgeException of kind {@code INVALID_KEY} if a recipient is not usable
   */
  public static byte[] encrypt(byte[] plaintext, List<String> recipients) {
    return encrypt(plaintext, recipients, false);
  }

  /** Encrypts {@code plaintext} to {@code recipients}, as an armored (PEM-like) file if asked. */
  public static byte[] encrypt(byte[] plaintext, List<String> recipients, boolean armor) {
    if (plaintext == null) {
      throw new AgeException(AgeException.Kind.INVALID_KEY, "no plaintext given (null)");
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(plaintext.length + 256);
    try (OutputStream enc = encryptingStream(out, recipients, armor)) {
      enc.write(plaintext);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // cannot happen with a ByteArrayOutputStream
    }
    return out.toByteArray();
  }

  /**
   * Decrypts an age file (binary or armored) with the first of {@code identities} that matches.
   *
   * @throws AgeException if no identity matches or the file is damaged
   */
  public static byte[] decrypt(byte[] ageFile, List<String> identities) {
    if (ageFile == null) {
      throw new AgeException(AgeException.Kind.HEADER_FAILURE, "no age file given (null)");
    }
    try (InputStream in = decryptingStream(new ByteArrayInputStream(ageFile), identities)) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // cannot happen with a ByteArrayInputStream
    }
  }

  /**
   * Returns a stream that encrypts what is written to it into {@code out}, in 64 KiB chunks, so
   * payloads of any size need constant memory. {@link OutputStream#close() Closing} it writes the
   * final chunk (and the armor's end line) and closes {@code out}; a file that was not closed is
   * truncated and will not decrypt.
   *
   * @throws AgeException of kind {@code INVALID_KEY} if a recipient is not usable
   * @throws IOException if writing the header to {@code out} fails
   */
  public static OutputStream encryptingStream(
      OutputStream out, List<String> recipients, boolean armor) throws IOException {
    if (out == null) {
      throw new AgeException(AgeException.Kind.INVALID_KEY, "no output stream given (null)");
    }
    return AgeFiles.encrypt(out, Keys.recipients(recipients), armor);
  }

  /**
   * Reads the header of the age file on {@code in} (binary or armored), finds the file key with
   * {@code identities} and verifies the header MAC, then returns a stream of the plaintext. Each 64
   * KiB chunk is authenticated before any of it is returned; a damaged or truncated payload makes a
   * read throw an {@link AgeException} of kind {@code PAYLOAD_FAILURE}, after the plaintext of the
   * chunks that verified. Treat the plaintext as final only at end of stream.
   *
   * @throws AgeException if the header is damaged, no identity matches or the MAC fails
   * @throws IOException if reading {@code in} fails
   */
  public static InputStream decryptingStream(InputStream in, List<String> identities)
      throws IOException {
    if (in == null) {
      throw new AgeException(AgeException.Kind.HEADER_FAILURE, "no input stream given (null)");
    }
    List<Identity> ids = Keys.identities(identities);
    return AgeFiles.decrypt(in, ids);
  }

  /**
   * Encrypts everything from {@code in} to {@code out}, in constant memory; {@code out} is closed
   * at the end ({@code in} is not).
   */
  public static void encrypt(
      InputStream in, OutputStream out, List<String> recipients, boolean armor) throws IOException {
    if (in == null) {
      throw new AgeException(AgeException.Kind.INVALID_KEY, "no input stream given (null)");
    }
    try (OutputStream enc = encryptingStream(out, recipients, armor)) {
      in.transferTo(enc);
    }
  }

  /**
   * Decrypts the age file on {@code in} into {@code out}, in constant memory, and closes {@code in}
   * ({@code out} is not closed). On a payload failure part way, {@code out} has received the
   * authenticated chunks before the failure: discard it.
   */
  public static void decrypt(InputStream in, OutputStream out, List<String> identities)
      throws IOException {
    if (out == null) {
      throw new AgeException(AgeException.Kind.INVALID_KEY, "no output stream given (null)");
    }
    try (InputStream dec = decryptingStream(in, identities)) {
      dec.transferTo(out);
    }
  }

  /**
   * Encrypts {@code plaintext} with a passphrase, as {@code age -p} does (scrypt, work factor 2^18:
   * this takes about a second and 256 MiB of memory).
   *
   * @throws AgeException of kind {@code INVALID_KEY} if the passphrase is empty
   */
  public static byte[] encryptWithPassphrase(byte[] plaintext, String passphrase) {
    if (plaintext == null) {
      throw new AgeException(AgeException.Kind.INVALID_KEY, "no plaintext given (null)");
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(plaintext.length + 256);
    try (OutputStream enc =
        AgeFiles.encrypt(out, List.of(Keys.passphraseRecipient(passphrase)), false)) {
      enc.write(plaintext);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // cannot happen with a ByteArrayOutputStream
    }
    return out.toByteArray();
  }

  /**
   * Decrypts a passphrase-encrypted age file (binary or armored), as {@code age -d} asking for a
   * passphrase does. Work factors above 2^22 are refused.
   *
   * @throws AgeException if the passphrase is wrong ({@code NO_MATCH}) or the file is damaged
   */
  public static byte[] decryptWithPassphrase(byte[] ageFile, String passphrase) {
    if (ageFile == null) {
      throw new AgeException(AgeException.Kind.HEADER_FAILURE, "no age file given (null)");
    }
    try (InputStream in =
        AgeFiles.decrypt(
            new ByteArrayInputStream(ageFile), List.of(Keys.passphraseIdentity(passphrase)))) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // cannot happen with a ByteArrayInputStream
    }
  }

  /** Wraps a binary age file in age's ASCII armor ({@code -----BEGIN AGE ENCRYPTED FILE-----}). */
  public static String armor(byte[] ageFile) {
    if (ageFile == null) {
      throw new AgeException(AgeException.Kind.ARMOR_FAILURE, "nothing to armor (null)");
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(ageFile.length * 4 / 3 + 128);
    try (OutputStream a = new Armor.Writer(out)) {
      a.write(ageFile);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString(StandardCharsets.US_ASCII);
  }

  /**
   * Unwraps an armored age file strictly (as the age specification requires).
   *
   * @throws AgeException of kind {@code ARMOR_FAILURE} if the armor is malformed
   */
  public static byte[] dearmor(String armored) {
    if (armored == null) {
      throw new AgeException(AgeException.Kind.ARMOR_FAILURE, "nothing to dearmor (null)");
    }
    for (int i = 0; i < armored.length(); i++) {
      if (armored.charAt(i) > 127) {
        throw new AgeException(
            AgeException.Kind.ARMOR_FAILURE, "age armor failure: non-ASCII character");
      }
    }
    byte[] bytes = armored.getBytes(StandardCharsets.US_ASCII);
    try (InputStream in = new Armor.Reader(new ByteArrayInputStream(bytes))) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Returns a stream of the binary age file inside the armored file on {@code in}, checking the
   * armor strictly as it is read (failures are {@link AgeException}s of kind {@code
   * ARMOR_FAILURE}). {@link #decryptingStream} detects armor by itself; use this when the input is
   * known to be armored, so that anything before the begin line is an armor failure.
   *
   * @throws IOException if reading {@code in} fails
   */
  public static InputStream dearmoringStream(InputStream in) throws IOException {
    if (in == null) {
      throw new AgeException(AgeException.Kind.ARMOR_FAILURE, "no input stream given (null)");
    }
    return new Armor.Reader(in);
  }

  /** A new random X25519 identity, {@code AGE-SECRET-KEY-1…}, as {@code age-keygen} makes. */
  public static String generateIdentity() {
    return Keys.generateIdentity();
  }

  /**
   * The recipient of an identity: {@code age1…} for an {@code AGE-SECRET-KEY-1…}, the {@code
   * ssh-ed25519 AAAA…} line for an OpenSSH private key (the first key if the text holds several).
   *
   * @throws AgeException of kind {@code INVALID_KEY} if it is not a usable identity
   */
  public static String recipientOf(String identity) {
    if (identity == null) {
      throw new AgeException(AgeException.Kind.INVALID_KEY, "no identity given (null)");
    }
    return Keys.identities(List.of(identity)).get(0).recipient();
  }
}
