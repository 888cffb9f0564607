"""The /api/sources routes: the followed feeds, sitemaps and pages — list them (reader), follow one
and stop following one (admin). A refused or malformed URL is 422, an unknown source 404."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field

from qa.errors import ConfigError, FetchError, SourceNotFound
from qa.index.follow import Follower, source_payload
from qa.serving.access import Access


class SourceIn(BaseModel):
    url: str = Field(min_length=1, max_length=2000)
    every: str = Field("15m", max_length=20, description="how often to check it: 15m, 2h, 1d")


def build_router(follower: Follower, access: Access) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["sources"])
    reader, admin = [Depends(access.reader)], [Depends(access.admin)]

    @router.get("/sources", dependencies=reader)
    def list_sources() -> list[dict]:
        """Each followed source: URL, interval, kind, last fetch and success, item counts of its
        last check (listed, new, changed, failed), its articles so far and its last error."""
        articles = follower.articles()
        return [source_payload(source, articles.get(source.id, 0)) for source in follower.sources()]

    @router.post("/sources", status_code=201, dependencies=admin)
    def add_source(body: SourceIn) -> dict:
        """Follow a feed, sitemap or page; it is fetched at the next run (`qa follow run`, or
        within a minute under `qa serve --follow`)."""
        try:
            source = follower.add(body.url, body.every)
        except (FetchError, ConfigError) as error:
            raise HTTPException(422, str(error)) from error
        return source_payload(source, follower.articles().get(source.id, 0))

    @router.delete("/sources/{source_id}", dependencies=admin)
    def remove_source(source_id: str) -> dict:
        """Stop following a source; the articles it brought in stay in the index."""
        try:
            source = follower.remove(source_id)
        except SourceNotFound as error:
            raise HTTPException(404, str(error)) from error
        return source_payload(source, follower.articles().get(source.id, 0))

    return router
