"""The render layer: replies, the API's native errors and the mock's own problem documents."""
