"""Serving: the HTTP API, the OpenAI-compatible API, the document API and the Gradio chat."""
