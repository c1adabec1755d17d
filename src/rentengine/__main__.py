from rentengine.launcher import main

main()
