"""The reviewer's side: re-takes (shared by ``audiopipe retake`` and the review server) and the server."""
