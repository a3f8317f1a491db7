print("paddle-swift")
