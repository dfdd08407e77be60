"""The files stages hand each other, in one home: where each lives, its schema, the records it
holds, and atomic, schema-checked JSON reading and writing. Stages talk to each other only
through these, never by importing one another."""
