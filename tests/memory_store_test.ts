import { test } from "node:test";
import { MemoryStore } from "../stores/memory.ts";
import { testStore } from "../testing.ts";

testStore(test, { name: "memory", open: () => new MemoryStore() });
