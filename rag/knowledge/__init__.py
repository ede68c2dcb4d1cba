"""What we know and how we find it: catalog, Milvus store, the in-memory search copy, retrieval, embedders."""
