// Entry point of the web client. The editor (SPEC §13) is built on top of src/schema.
export {};
