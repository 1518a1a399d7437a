
S

feature2	

horse

feature3
è"Ú>

feature0


feature1
