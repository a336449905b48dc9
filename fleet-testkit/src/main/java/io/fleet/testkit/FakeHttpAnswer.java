package io.fleet.testkit;

/** What a fake host's HTTP endpoint answered: a status, or why no status came. */
final class FakeHttpAnswer {
  final int status;
  final String detail;

  private FakeHttpAnswer(int status, String detail) {
    this.status = status;
    this.detail = detail;
  }

  static FakeHttpAnswer status(int status, String detail) {
    return new FakeHttpAnswer(status, detail);
  }

  static FakeHttpAnswer failure(String why) {
    return new FakeHttpAnswer(-1, why);
  }
}
